//! Where new nkeys come from. Building the estate is pure: it takes a [`KeySource`] rather
//! than reading an RNG, so the edge passes [`RandomKeys`] and tests may pass
//! [`SequentialKeys`] for reproducible estates.
//!
//! Not here: storing keys (see [`crate::layout`] and [`crate::store`]).

use nkeys::{KeyPair, KeyPairType};

use crate::error::EstateError;

/// A source of new key pairs.
pub trait KeySource {
    /// A new key pair of `kind`.
    ///
    /// # Errors
    /// [`EstateError::KeyGeneration`] when no key can be made.
    fn generate(&mut self, kind: KeyPairType) -> Result<KeyPair, EstateError>;
}

/// Keys from the operating system's secure RNG (nkeys' own generator).
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomKeys;

impl KeySource for RandomKeys {
    fn generate(&mut self, kind: KeyPairType) -> Result<KeyPair, EstateError> {
        Ok(KeyPair::new(kind))
    }
}

/// Deterministic keys for tests: the seed bytes are a label byte and a counter.
/// NEVER use these for a real estate: anyone can recompute them.
#[derive(Debug, Clone)]
pub struct SequentialKeys {
    label: u8,
    next: u64,
}

impl SequentialKeys {
    /// A sequence distinguished from others by `label`.
    pub fn new(label: u8) -> Self {
        SequentialKeys { label, next: 0 }
    }
}

impl KeySource for SequentialKeys {
    fn generate(&mut self, kind: KeyPairType) -> Result<KeyPair, EstateError> {
        let mut raw = [self.label; 32];
        let (head, _) = raw.split_at_mut(8);
        head.copy_from_slice(&self.next.to_le_bytes());
        self.next = self.next.wrapping_add(1);
        KeyPair::new_from_raw(kind, raw).map_err(|err| EstateError::KeyGeneration {
            reason: err.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_keys_repeat_per_label_and_differ_per_call() {
        let mut a = SequentialKeys::new(1);
        let mut b = SequentialKeys::new(1);
        let a1 = a.generate(KeyPairType::Account).unwrap();
        let a2 = a.generate(KeyPairType::Account).unwrap();
        let b1 = b.generate(KeyPairType::Account).unwrap();
        assert_eq!(a1.public_key(), b1.public_key());
        assert_ne!(a1.public_key(), a2.public_key());
        assert!(a1.public_key().starts_with('A'));
        assert!(a1.seed().unwrap().starts_with("SA"));
    }

    #[test]
    fn random_keys_have_the_asked_kind() {
        let key = RandomKeys.generate(KeyPairType::User).unwrap();
        assert!(key.public_key().starts_with('U'));
    }
}

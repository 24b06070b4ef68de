//! (filled by the fix of this area)

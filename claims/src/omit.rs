//! `skip_serializing_if` predicates that mirror Go's `omitempty` for each field type.

pub(crate) fn zero_i64(v: &i64) -> bool {
    *v == 0
}

pub(crate) fn zero_u64(v: &u64) -> bool {
    *v == 0
}

pub(crate) fn zero_u8(v: &u8) -> bool {
    *v == 0
}

pub(crate) fn is_false(v: &bool) -> bool {
    !*v
}

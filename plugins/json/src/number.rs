//! JSON numbers as field values: integral numbers are `Int`, the others `Float`.
//!
//! Promise: a number is `Int` exactly when its value is a whole number that `i64` holds,
//! however it was written (`3`, `3.0`, `3e0`); so `"bytes": 0.0` and `"bytes": 500` give
//! the same type. Whole numbers beyond `i64` (and every fraction) are `Float`.

use logsift_sdk::Value;

/// A non-negative integer literal.
pub(crate) fn unsigned<'t>(v: u64) -> Value<'t> {
    i64::try_from(v).map_or(Value::Float(v as f64), Value::Int)
}

/// A number with a fraction or an exponent.
pub(crate) fn float<'t>(v: f64) -> Value<'t> {
    // i64::MAX as f64 is 2^63, itself out of range, hence the strict bound.
    if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 { Value::Int(v as i64) } else { Value::Float(v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_ints_however_written() {
        assert_eq!(float(3.0), Value::Int(3));
        assert_eq!(float(-0.0), Value::Int(0));
        assert_eq!(float(1e3), Value::Int(1000));
        assert_eq!(float(2.5), Value::Float(2.5));
        assert_eq!(float(9.3e18), Value::Float(9.3e18));
        assert_eq!(unsigned(u64::MAX), Value::Float(u64::MAX as f64));
        assert_eq!(unsigned(7), Value::Int(7));
    }
}

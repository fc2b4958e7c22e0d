//! Whole numbers typed into forms, each checked against the range that makes sense for it.

/// Parses a whole number between `min` and `max` inclusive. `what` names the field in the
/// message, in the words of the form ("the default lifetime in days").
pub fn whole_number(raw: &str, what: &str, min: u32, max: u32) -> Result<u32, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(format!("Enter {what}"));
    }
    if !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "Enter {what} as a whole number from {min} to {max}, using digits only"
        ));
    }
    match s.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "Enter {what} as a whole number from {min} to {max}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn accepts_the_range_inclusive_and_trims() {
        assert_eq!(whole_number(" 1 ", "x", 1, 365), Ok(1));
        assert_eq!(whole_number("365", "x", 1, 365), Ok(365));
        assert_eq!(whole_number("0", "x", 0, 3), Ok(0));
    }

    #[test]
    fn refuses_empty_with_what_to_enter() {
        assert_eq!(
            whole_number("  ", "the lifetime in days", 1, 365),
            Err("Enter the lifetime in days".into())
        );
    }

    #[test]
    fn refuses_signs_decimals_and_words() {
        for raw in ["-1", "+3", "1.5", "ten", "1e3", "٣"] {
            let e = whole_number(raw, "the count", 0, 10).unwrap_err();
            assert!(e.contains("digits only"), "{raw}: {e}");
        }
    }

    #[test]
    fn refuses_out_of_range_and_overflow_with_the_range() {
        for raw in ["0", "366", "99999999999999999999"] {
            assert_eq!(
                whole_number(raw, "the days", 1, 365),
                Err("Enter the days as a whole number from 1 to 365".into()),
                "{raw}"
            );
        }
    }
}

//! Small parsed values: user names, display names, e-mail addresses, project fields.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_newtype {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name(String);
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_newtype!(Username);
string_newtype!(DisplayName);
string_newtype!(Email);
string_newtype!(ProjectName);
string_newtype!(ProjectSummary);

fn no_control_chars(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

impl Username {
    /// 3–40 characters: lower-case letters, digits, dot, hyphen and underscore, starting with a letter.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err("Enter a user name".into());
        }
        if s.chars().count() < 3 || s.chars().count() > 40 {
            return Err("User name must be between 3 and 40 characters".into());
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("User name must start with a letter".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        {
            return Err(
                "User name can only contain letters, numbers, dots, hyphens and underscores".into(),
            );
        }
        Ok(Username(s))
    }
}

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a full name".into());
        }
        if s.chars().count() > 100 {
            return Err("Full name must be 100 characters or fewer".into());
        }
        if !no_control_chars(s) || s.contains('\n') {
            return Err("Full name must be on one line".into());
        }
        Ok(DisplayName(s.to_owned()))
    }
}

impl Email {
    /// A deliberately loose check: one `@`, something either side, a dot in the domain.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter an email address".into());
        }
        let valid = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !s.chars().any(char::is_whitespace);
        if !valid {
            return Err(
                "Enter an email address in the correct format, like name@example.com".into(),
            );
        }
        Ok(Email(s.to_lowercase()))
    }
}

impl ProjectName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a project name".into());
        }
        if s.chars().count() < 3 {
            return Err("Project name must be 3 characters or more".into());
        }
        if s.chars().count() > 80 {
            return Err("Project name must be 80 characters or fewer".into());
        }
        if !no_control_chars(s) || s.contains('\n') {
            return Err("Project name must be on one line".into());
        }
        Ok(ProjectName(s.to_owned()))
    }
}

impl ProjectSummary {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a summary of the project".into());
        }
        if s.chars().count() > 2000 {
            return Err("Summary must be 2000 characters or fewer".into());
        }
        if !no_control_chars(s) {
            return Err("Summary contains characters that cannot be shown".into());
        }
        Ok(ProjectSummary(s.to_owned()))
    }
}

/// A project's planned end date: a real calendar date, today or later, at most five years ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndDate(time::Date);

impl EndDate {
    pub fn parse(raw: &str, today: time::Date) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter the project's end date".into());
        }
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(s, &format)
            .map_err(|_| "End date must be a real date, like 2027-03-31".to_owned())?;
        if date < today {
            return Err("End date must be today or in the future".into());
        }
        if date.year() > today.year() + 5 {
            return Err("End date must be within five years".into());
        }
        Ok(EndDate(date))
    }
    pub fn date(self) -> time::Date {
        self.0
    }
}

impl fmt::Display for EndDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
        assert!(Username::parse("").is_err());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("1abc").is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("alice<script>").is_err());
        assert!(Username::parse(&"a".repeat(41)).is_err());
        assert_eq!(Username::parse("a.b-c_d").unwrap().as_str(), "a.b-c_d");
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("name@example.com").is_ok());
        assert!(Email::parse("name@localhost").is_err());
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse("a b@example.com").is_err());
        assert!(Email::parse("a@b@example.com").is_err());
        assert_eq!(
            Email::parse("A@Example.COM").unwrap().as_str(),
            "a@example.com"
        );
    }

    #[test]
    fn project_names_are_one_line_and_bounded() {
        assert!(ProjectName::parse("Urban forest").is_ok());
        assert!(ProjectName::parse("  ").is_err());
        assert!(ProjectName::parse("ab").is_err());
        assert!(ProjectName::parse("a\nb c").is_err());
        assert!(ProjectName::parse(&"x".repeat(81)).is_err());
    }

    #[test]
    fn end_dates_are_real_future_dates_within_five_years() {
        let today = date!(2026 - 11 - 26);
        assert_eq!(
            EndDate::parse("2027-03-31", today).unwrap().to_string(),
            "2027-03-31"
        );
        assert!(EndDate::parse("2026-11-26", today).is_ok());
        assert!(EndDate::parse("2026-11-25", today).is_err());
        assert!(EndDate::parse("2027-02-30", today).is_err());
        assert!(EndDate::parse("31/03/2027", today).is_err());
        assert!(EndDate::parse("2032-01-01", today).is_err());
        assert!(EndDate::parse("", today).is_err());
    }
}

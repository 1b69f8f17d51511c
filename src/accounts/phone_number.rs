//! Phone numbers, normalised to E.164 (`+8613800138000`) so that one number is one string.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in E.164 form. Accepted input: `+<country><number>` (8 to 15 digits, spaces,
/// dashes and parentheses ignored) or an 11-digit mainland China mobile number (`13800138000`,
/// read as `+86`). A `+86` number must be a mobile number (11 digits starting with 13..19).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid phone number: expected +<country code><number> or an 11-digit mainland China mobile number"
)]
pub struct PhoneError;

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let compact: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let digits = match compact.strip_prefix('+') {
            Some(rest) => rest.to_string(),
            None if is_cn_mobile(&compact) => format!("86{compact}"),
            None => return Err(PhoneError),
        };
        if !(8..=15).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(PhoneError);
        }
        if let Some(national) = digits.strip_prefix("86")
            && !is_cn_mobile(national)
        {
            return Err(PhoneError);
        }
        Ok(Phone(format!("+{digits}")))
    }

    /// WeChat's `countryCode` (a string such as `"86"`) and `purePhoneNumber`.
    pub fn from_parts(country_code: &str, national: &str) -> Result<Phone, PhoneError> {
        let country = country_code.trim().trim_start_matches('+');
        Phone::parse(&format!("+{country}{}", national.trim()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: the country code and a few digits, never the whole number.
    pub fn masked(&self) -> String {
        let keep_head = 6.min(self.0.len());
        let keep_tail = 2.min(self.0.len() - keep_head);
        let hidden = self.0.len() - keep_head - keep_tail;
        format!(
            "{}{}{}",
            &self.0[..keep_head],
            "*".repeat(hidden),
            &self.0[self.0.len() - keep_tail..]
        )
    }
}

fn is_cn_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, PhoneError> {
        Phone::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(value: Phone) -> String {
        value.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `Debug` masks the number: phone numbers are personal data and stay out of logs.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_normalise_to_e164() {
        for input in [
            "13800138000",
            "+8613800138000",
            "+86 138-0013-8000",
            " 138 0013 8000 ",
        ] {
            assert_eq!(Phone::parse(input).unwrap().as_str(), "+8613800138000");
        }
        assert_eq!(
            Phone::parse("+14155552671").unwrap().as_str(),
            "+14155552671"
        );
        assert_eq!(
            Phone::from_parts("86", "13123456789").unwrap().as_str(),
            "+8613123456789"
        );
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for input in [
            "",
            "12345",
            "12800138000",
            "+86123",
            "+8612800138000",
            "+0123456789",
            "+1234567890123456",
            "1380013800a",
            "8613800138000",
            "+86 138 0013 8000 0",
        ] {
            assert_eq!(Phone::parse(input), Err(PhoneError), "{input:?}");
        }
    }

    #[test]
    fn debug_and_masked_hide_the_middle_digits() {
        let phone = Phone::parse("13800138000").unwrap();
        assert_eq!(phone.masked(), "+86138******00");
        assert!(!format!("{phone:?}").contains("13800138000"));
    }
}

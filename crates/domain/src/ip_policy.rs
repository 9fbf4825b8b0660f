//! What a project keeps of its respondents' IP addresses.

use serde::Serialize;
use std::str::FromStr;

/// A project's policy for client addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "lowercase")]
pub enum IpPolicy {
    /// Keep nothing (the default).
    Drop,
    /// Keep the network only: IPv4 /24, IPv6 /48.
    Truncate,
    /// Keep the whole address.
    Keep,
}

impl IpPolicy {
    /// The name stored in `projects.ip_policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            IpPolicy::Drop => "drop",
            IpPolicy::Truncate => "truncate",
            IpPolicy::Keep => "keep",
        }
    }
}

impl FromStr for IpPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [IpPolicy::Drop, IpPolicy::Truncate, IpPolicy::Keep]
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown IP policy {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_round_trip_through_their_names() {
        for policy in [IpPolicy::Drop, IpPolicy::Truncate, IpPolicy::Keep] {
            assert_eq!(policy.as_str().parse::<IpPolicy>(), Ok(policy));
            assert_eq!(serde_json::to_value(policy).unwrap(), policy.as_str());
        }
        assert!("anonymise".parse::<IpPolicy>().is_err());
    }
}

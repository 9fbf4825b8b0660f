//! What a project keeps of its respondents' IP addresses.

use serde::Serialize;

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

names!(IpPolicy, "IP policy" { Drop => "drop", Truncate => "truncate", Keep => "keep" });

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

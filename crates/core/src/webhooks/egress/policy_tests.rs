use super::*;

fn production() -> EgressPolicy {
    EgressPolicy::default()
}

fn development() -> EgressPolicy {
    EgressPolicy { allow_http_loopback: true, allowed_networks: Vec::new() }
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

#[test]
fn accepts_an_https_url_with_port_path_and_query() {
    let url =
        validate_url("https://hooks.example.com:8443/in/feedback?team=7", &production()).expect("valid");
    assert_eq!(url.host_str(), Some("hooks.example.com"));
}

#[test]
fn rejects_plain_http_in_production() {
    for text in ["http://hooks.example.com/", "http://127.0.0.1:8080/", "http://localhost/"] {
        assert_eq!(
            validate_url(text, &production()),
            Err(UrlProblem::NotHttps { scheme: "http".into() }),
            "{text}"
        );
    }
}

#[test]
fn accepts_http_to_loopback_in_development() {
    for text in [
        "http://127.0.0.1:8080/hook",
        "http://127.1.2.3/",
        "http://localhost:3000/",
        "http://[::1]:9000/",
        "http://[::ffff:127.0.0.1]/",
    ] {
        assert!(validate_url(text, &development()).is_ok(), "{text}");
    }
}

#[test]
fn rejects_http_to_anything_else_in_development() {
    for text in ["http://hooks.example.com/", "http://localhost.example.com/", "http://8.8.8.8/"] {
        assert_eq!(validate_url(text, &development()), Err(UrlProblem::HttpNotLoopback), "{text}");
    }
}

#[test]
fn rejects_other_schemes() {
    for (text, scheme) in [
        ("ftp://hooks.example.com/", "ftp"),
        ("file:///etc/passwd", "file"),
        ("javascript:alert(1)", "javascript"),
        ("gopher://hooks.example.com/", "gopher"),
    ] {
        assert_eq!(
            validate_url(text, &development()),
            Err(UrlProblem::NotHttps { scheme: scheme.into() }),
            "{text}"
        );
    }
}

#[test]
fn rejects_user_names_and_passwords() {
    for text in ["https://user:secret@hooks.example.com/", "https://user@hooks.example.com/"] {
        assert_eq!(validate_url(text, &production()), Err(UrlProblem::Credentials));
    }
}

#[test]
fn rejects_urls_over_2048_characters() {
    let base = "https://hooks.example.com/";
    let at_limit = format!("{base}{}", "a".repeat(MAX_URL_LEN - base.len()));
    assert!(validate_url(&at_limit, &production()).is_ok());
    let over = format!("{at_limit}a");
    assert_eq!(validate_url(&over, &production()), Err(UrlProblem::TooLong));
}

#[test]
fn rejects_text_that_is_not_a_url_or_has_no_host() {
    for text in ["", "hooks.example.com/in", "https://", "https://:443/", "not a url"] {
        let problem = validate_url(text, &production()).expect_err(text);
        assert!(matches!(problem, UrlProblem::Invalid(_) | UrlProblem::NoHost), "{text}: {problem:?}");
    }
}

#[test]
fn rejects_forbidden_ip_literals_in_any_spelling() {
    for (text, address) in [
        ("https://10.0.0.1/", "10.0.0.1"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("https://[::ffff:127.0.0.1]/", "127.0.0.1"),
        ("https://[::ffff:a00:1]/", "10.0.0.1"),
        ("https://2130706433/", "127.0.0.1"),
        ("https://0x7f.1/", "127.0.0.1"),
        ("https://[fd00::1]/", "fd00::1"),
    ] {
        match validate_url(text, &production()) {
            Err(UrlProblem::ForbiddenAddress(found)) => {
                assert_eq!(canonical(found), ip(address), "{text}")
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn problems_read_as_sentences_for_the_api() {
    let problem = validate_url("http://hooks.example.com/", &production()).expect_err("http");
    assert_eq!(problem.to_string(), "the URL must use https, not http");
    let problem = validate_url("https://10.1.2.3/", &production()).expect_err("private");
    assert!(problem.to_string().contains("10.1.2.3"));
}

#[test]
fn forbids_every_internal_and_reserved_range() {
    for address in [
        "0.0.0.0",
        "0.1.2.3",
        "10.0.0.1",
        "100.64.0.1",
        "100.127.255.254",
        "127.0.0.1",
        "127.255.255.254",
        "169.254.169.254",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.170",
        "192.0.2.1",
        "192.88.99.1",
        "192.168.1.1",
        "198.18.0.1",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "::127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "64:ff9b::7f00:1",
        "64:ff9b:1::1",
        "100::1",
        "2001::1",
        "2001:db8::1",
        "2002:a00:1::",
        "2002:7f00:1::1",
        "3fff::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
    ] {
        assert!(is_forbidden(ip(address), &production()), "{address}");
    }
}

#[test]
fn allows_public_unicast_including_nat64_and_6to4_of_public_hosts() {
    for address in [
        "1.1.1.1",
        "8.8.8.8",
        "93.184.216.34",
        "100.63.255.255",
        "100.128.0.1",
        "172.15.255.255",
        "172.32.0.1",
        "192.169.0.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ] {
        assert!(!is_forbidden(ip(address), &production()), "{address}");
    }
}

#[test]
fn development_allows_loopback_but_nothing_else_internal() {
    for address in ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"] {
        assert!(!is_forbidden(ip(address), &development()), "{address}");
    }
    for address in ["10.0.0.1", "169.254.169.254", "fd00::1", "0.0.0.0"] {
        assert!(is_forbidden(ip(address), &development()), "{address}");
    }
}

#[test]
fn allowed_networks_open_exactly_their_ranges() {
    let policy = EgressPolicy {
        allow_http_loopback: false,
        allowed_networks: vec!["10.20.0.0/16".parse().expect("net"), "fd00:1::/32".parse().expect("net")],
    };
    for address in ["10.20.3.4", "::ffff:10.20.3.4", "64:ff9b::a14:304", "fd00:1::9"] {
        assert!(!is_forbidden(ip(address), &policy), "{address}");
    }
    for address in ["10.21.0.1", "127.0.0.1", "fd00:2::9"] {
        assert!(is_forbidden(ip(address), &policy), "{address}");
    }
    assert!(validate_url("https://10.20.3.4/", &policy).is_ok());
}

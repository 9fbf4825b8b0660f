// The display rules an app applies on the device before it asks the server to show a survey
// (POST /v1/responses/shown): the survey's triggers, and the project's fatigue rules on what
// this device remembers. Pure functions, the same rules as the web widget's and the server's
// (src/domain/fatigue.rs), so most screens need no server decision.
import Foundation

/// `targeting.triggers`: every condition given must hold.
public struct Triggers: Decodable {
    public struct UrlPattern: Decodable { public let match: String; public let value: String }
    public let url: [UrlPattern]?
    public let delay_ms: Int?
    public let scroll_percent: Int?
    public let event: String?
    public let exit_intent: Bool?
    public let min_page_views: Int?
    public let min_days_seen: Int?
}

/// The part of `targeting` the app reads (filters and sampling are the server's).
public struct Targeting: Decodable {
    public let recontact_days: Int?
    public let fatigue_exempt: Bool?
    public let triggers: Triggers?
}

/// The project's fatigue rules, as the configuration carries them (`fatigue`).
public struct Fatigue: Decodable {
    public let days_between_surveys: Int
    public let max_per_session: Int
    public let ignored_wait_hours: Int
    /// The server's defaults, for a configuration that carries no rules.
    public static let defaults = Fatigue(days_between_surveys: 14, max_per_session: 1, ignored_wait_hours: 72)
}

/// What the device remembers of one survey: when it was last shown (s), answered (a) and
/// dismissed (d), in seconds since 1970, and whether it is exempt from fatigue (x).
public struct Contact: Codable {
    public var s: Double?
    public var a: Double?
    public var d: Double?
    public var x: Bool?
}

/// What the device remembers: per survey key, and the screens it offered a survey on.
public struct Memory: Codable {
    public var surveys: [String: Contact] = [:]
    public var views = 0
    public var first = Date().timeIntervalSince1970
}

private let day: TimeInterval = 86_400

/// Whether the triggers hold in an app now. `event` is the event being reported; nil when a
/// screen opens. Triggers only a web page has (url, delay, scroll, exit intent) never hold in
/// an app, so such a survey does not appear there by itself.
public func due(_ t: Triggers?, memory: Memory, event: String?, now: TimeInterval) -> Bool {
    let web = !(t?.url ?? []).isEmpty || (t?.delay_ms ?? 0) > 0 || (t?.scroll_percent ?? 0) > 0
        || (t?.exit_intent ?? false)
    if web { return false }
    if let wanted = t?.event { if wanted != event { return false } } else if event != nil { return false }
    if let n = t?.min_page_views, n > 0, memory.views < n { return false }
    if let n = t?.min_days_seen, n > 0, now - memory.first < Double(n) * day { return false }
    return true
}

/// Whether the fatigue rules keep survey `key` away on this device, whose session has shown
/// `sessionShown` surveys; the strictest rule wins.
public func resting(_ key: String, _ targeting: Targeting?, _ f: Fatigue, _ memory: Memory,
                    sessionShown: Int, now: TimeInterval) -> Bool {
    if targeting?.fatigue_exempt == true { return false }
    func within(_ at: Double?, _ span: Double) -> Bool {
        guard let at, at > 0 else { return false }
        return now < at + span
    }
    func decided(_ c: Contact) -> Double { max(c.a ?? 0, c.d ?? 0) }
    let own = memory.surveys[key] ?? Contact()
    if f.max_per_session > 0 && sessionShown >= f.max_per_session { return true }
    let recontact = targeting?.recontact_days ?? 0
    if recontact > 0 && within(decided(own), Double(recontact) * day) { return true }
    let rest = Double(f.days_between_surveys) * day
    if rest > 0 {
        if within(decided(own), rest) { return true }
        let othersMet = memory.surveys.contains { other in
            other.key != key && other.value.x != true && within(max(decided(other.value), other.value.s ?? 0), rest)
        }
        if othersMet { return true }
    }
    let shown = own.s ?? 0
    return f.ignored_wait_hours > 0 && shown > decided(own) && within(shown, Double(f.ignored_wait_hours) * 3600)
}

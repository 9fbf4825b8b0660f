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

// MARK: Questions beyond the score
// (docs/design/0019-questions.md) Which additional questions follow the main answer, in the
// person's language, with their options in the order to show. The same functions as the React
// Native and Android snippets' (the cases all of them are checked with:
// tests/data/snippet-questions.json, run here by tests/swift/main.swift).

/// The key of a choice survey's main question.
public let mainQuestionKey = "main"
/// The key of the option that takes free text when the question has `other: true`.
public let otherOptionKey = "other"

/// An option of a `choice` question: a stable key and a label per locale.
public struct QuestionOption: Decodable, Identifiable {
    public let key: String
    public let label: String
    public let locales: [String: String]?
    /// No longer offered (still in reports).
    public let retired: Bool?
    public var id: String { key }
}

/// A question of the survey's `questions`: a choice survey's main one (key `main`), or an
/// additional one, asked after the main answer.
public struct Question: Decodable, Identifiable {
    public struct Scale: Decodable { public let min: Int; public let max: Int }
    public struct Labels: Decodable { public let low: String?; public let high: String? }
    /// Asked only for these bands of the main answer (`detractor`, `passive`, `promoter`,
    /// `low`, `high`) and/or when any of these options of a choice survey's main question was
    /// chosen. Absent: always asked.
    public struct ShowIf: Decodable { public let bands: [String]?; public let options: [String]? }
    public let key: String
    public let kind: String          // choice | rating | text
    /// Absent on a choice survey's main question: the survey's `question` is its text.
    public let text: String?
    public let locales: [String: String]?
    public let options: [QuestionOption]?
    public let multiple: Bool?
    public let max_picks: Int?
    /// The option keyed `other` takes free text.
    public let other: Bool?
    /// Shuffle the options for each person, `other` last.
    public var shuffle: Bool?
    public let scale: Scale?
    public let labels: Labels?
    public let show_if: ShowIf?
    /// No longer asked (still in reports).
    public let retired: Bool?
    public var id: String { key }
}

/// A choice answer as sent: the keys chosen, with the text typed for `other`
/// (`["price"]`, or `{"options": ["other"], "other": "Too slow"}`).
public struct ChoiceAnswer: Equatable {
    public let options: [String]
    public let other: String?
}

/// The band of `score` in a survey of `kind` whose scale ends at `scaleMax`: NPS `detractor`
/// (0–6), `passive` (7–8), `promoter` (9–10); CSAT, CES and rating `high` (the top two points
/// of the scale) or `low`; nil for kinds without bands.
public func band(kind: String, scaleMax: Int?, score: Int) -> String? {
    switch kind {
    case "nps": return score >= 9 ? "promoter" : score >= 7 ? "passive" : "detractor"
    case "csat", "ces", "rating":
        let max = scaleMax ?? (kind == "ces" ? 7 : 5)
        return score >= max - 1 ? "high" : "low"
    default: return nil
    }
}

/// A choice survey's main question (key `main`), if the survey is one.
public func mainQuestion(kind: String, questions: [Question]?) -> Question? {
    kind == "choice" ? questions?.first(where: { $0.key == mainQuestionKey }) : nil
}

/// The additional questions to ask after the main answer, `score` or in a choice survey the
/// keys `chosen` in its main question, in the survey's order: not retired, and every `show_if`
/// condition given holds (an empty list is no condition): the main answer's band is one of
/// `bands`; one of `options` was chosen.
public func shownQuestions(_ questions: [Question]?, kind: String, scaleMax: Int?, score: Int?,
                           chosen: [String]) -> [Question] {
    let b = score.flatMap { band(kind: kind, scaleMax: scaleMax, score: $0) }
    return (questions ?? []).filter { q in
        if q.key == mainQuestionKey || q.retired == true { return false }
        let bands = q.show_if?.bands ?? []
        let options = q.show_if?.options ?? []
        let bandHolds = bands.isEmpty || (b.map { bands.contains($0) } ?? false)
        let optionHolds = options.isEmpty || options.contains { chosen.contains($0) }
        return bandHolds && optionHolds
    }
}

/// `text` in the first of `languages` (tags such as `de-CH`, the person's preferred first)
/// that `locales` has: the exact tag, then its language; else `text`.
public func localized(_ text: String, _ locales: [String: String]?, languages: [String]) -> String {
    guard let locales else { return text }
    for tag in languages {
        if let t = locales[tag], !t.isEmpty { return t }
        if let language = tag.split(separator: "-").first, let t = locales[String(language)], !t.isEmpty { return t }
    }
    return text
}

/// The options to offer, in the order to show them: the active ones; with `shuffle`, shuffled
/// (Fisher–Yates with `random`, a number in [0, 1)) and the `other` option last.
public func optionOrder(_ q: Question, random: () -> Double = { Double.random(in: 0..<1) }) -> [QuestionOption] {
    let active = (q.options ?? []).filter { $0.retired != true }
    guard q.shuffle == true else { return active }
    var rest = active.filter { $0.key != otherOptionKey }
    for i in stride(from: rest.count - 1, to: 0, by: -1) {
        rest.swapAt(i, Int(random() * Double(i + 1)))
    }
    return rest + active.filter { $0.key == otherOptionKey }
}

/// The keys picked after the person taps `key`: a single-select question keeps only it; a
/// multiple one toggles it, never past `max_picks`.
public func pick(_ q: Question, _ picked: [String], _ key: String) -> [String] {
    guard q.multiple == true else { return [key] }
    if picked.contains(key) { return picked.filter { $0 != key } }
    if let max = q.max_picks, picked.count >= max { return picked }
    return picked + [key]
}

/// What to send for a choice question, or nil while it cannot be sent: nothing picked, more
/// than one in a single-select question or more than `max_picks`, or `other` picked in a
/// question with `other: true` and no text typed for it.
public func choiceAnswer(_ q: Question, _ picked: [String], otherText: String = "") -> ChoiceAnswer? {
    var keys: [String] = []
    for k in picked where !keys.contains(k) { keys.append(k) }
    let max = q.multiple == true ? (q.max_picks ?? Int.max) : 1
    if keys.isEmpty || keys.count > max { return nil }
    guard q.other == true, keys.contains(otherOptionKey) else { return ChoiceAnswer(options: keys, other: nil) }
    let other = otherText.trimmingCharacters(in: .whitespacesAndNewlines)
    return other.isEmpty ? nil : ChoiceAnswer(options: keys, other: other)
}

// feedbackd client for iOS/macOS (Swift 5.9+, no dependencies): UUIDv7 ids, a persistent
// bounded queue, retries with backoff that honour Retry-After. It decides when a survey
// appears as the web widget does: triggers and fatigue on the device (FeedbackdRules.swift),
// then the server's word (POST /v1/responses/shown).
// Only ever a publishable key (fbk_pub_…) in an app: anything shipped to devices can be read.
import Foundation
import Security

public struct Survey: Decodable, Identifiable {
    public struct Scale: Decodable { public let min: Int; public let max: Int }
    public struct Labels: Decodable { public let low: String?; public let high: String? }
    public struct FollowUp: Decodable {
        public let question: String?; public let detractor: String?; public let passive: String?; public let promoter: String?
    }
    public struct Texts: Decodable { public let question: String?; public let labels: Labels?; public let follow_up: FollowUp? }
    public struct Presentation: Decodable {
        public let labels: Labels?; public let follow_up: FollowUp?; public let locales: [String: Texts]?
    }
    public let id: String
    public let key: String
    public let kind: String          // nps | csat | ces | rating | text | choice
    public let question: String
    public let scale: Scale?
    public let presentation: Presentation
    public let targeting: Targeting?
    /// Questions beyond the score (issue 19): a choice survey's main question (key `main`) and
    /// the additional questions asked after the main answer. Absent in older configurations.
    public let questions: [Question]?
}

public struct WidgetConfig: Decodable {
    public let surveys: [Survey]
    /// The survey the server picks for this person (filters, sampling); whether it appears
    /// is decided by `next()` / `track(_:)`.
    public let show: String?
    /// The project's fatigue rules.
    public let fatigue: Fatigue?
}

/// The answer of POST /v1/responses/shown: show the survey only when `show` is true.
public struct ShownAnswer: Decodable {
    public let id: String
    public let show: Bool
    public let reason: String?
}

/// A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits.
public func uuidv7() -> String {
    var b = [UInt8](repeating: 0, count: 16)
    _ = SecRandomCopyBytes(kSecRandomDefault, 16, &b)
    var ms = UInt64(Date().timeIntervalSince1970 * 1000)
    for i in stride(from: 5, through: 0, by: -1) { b[i] = UInt8(ms & 0xff); ms >>= 8 }
    b[6] = (b[6] & 0x0f) | 0x70
    b[8] = (b[8] & 0x3f) | 0x80
    let h = b.map { String(format: "%02x", $0) }.joined()
    let p = Array(h)
    return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(p[$0]) }.joined(separator: "-")
}

public actor Feedbackd {
    private struct Item: Codable {
        var kind: String              // "answer" | "follow_up"
        var id: String
        var body: [String: JSONValue]
    }

    private let host: URL
    private let key: String
    public var respondentId: String?
    public var attributes: [String: String] = [:]
    private var queue: [Item] = []
    private var failures = 0
    private var retryTask: Task<Void, Never>?
    private var flushing = false
    private let file: URL
    private static let queueMax = 50
    private var memory = Memory()
    private let memoryFile: URL
    private var session = (id: uuidv7(), shown: 0, refused: Set<String>(), usedAt: Date().timeIntervalSince1970)
    private var cached: (at: TimeInterval, config: WidgetConfig)?
    /// Asking whether to show is retried briefly, with the same id; later, the moment passed.
    private static let shownTries = 3
    /// A session ends after this long without the client being used (the app was away).
    private static let sessionIdle: TimeInterval = 30 * 60
    /// How long a fetched configuration is reused (its Cache-Control max-age).
    private static let configTTL: TimeInterval = 60

    public init(host: URL, publishableKey: String, respondentId: String? = nil) {
        precondition(publishableKey.hasPrefix("fbk_pub_"), "feedbackd: use a publishable key (fbk_pub_…)")
        self.host = host
        self.key = publishableKey
        self.respondentId = respondentId
        let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        file = dir.appendingPathComponent("feedbackd-queue.json")
        memoryFile = dir.appendingPathComponent("feedbackd-seen.json")
        if let data = try? Data(contentsOf: file) { queue = (try? JSONDecoder().decode([Item].self, from: data)) ?? [] }
        if let data = try? Data(contentsOf: memoryFile), let m = try? JSONDecoder().decode(Memory.self, from: data) { memory = m }
    }

    /// Who answers; the server picks again for them.
    public func identify(_ respondentId: String?, attributes: [String: String] = [:]) {
        self.respondentId = respondentId
        self.attributes = attributes
        cached = nil
    }

    /// This app session's id: a new one after 30 minutes without the client being used.
    public var sessionId: String { touch() }

    /// A screen opened: the survey to display now, or nil. The server's pick appears when its
    /// triggers hold here (no `event`; not a web-only trigger), the fatigue rules allow it on
    /// this device, and then the server says `show: true`.
    public func next() async -> Survey? {
        memory.views += 1
        saveMemory()
        return await offer(event: nil)
    }

    /// An app event (a survey's `triggers.event`, such as "checkout_completed"): the survey to
    /// display now, or nil.
    public func track(_ event: String) async -> Survey? {
        await offer(event: event)
    }

    private func offer(event: String?) async -> Survey? {
        let now = Date().timeIntervalSince1970
        if cached == nil || now - cached!.at > Self.configTTL {
            guard let c = try? await config() else { return nil }
            cached = (at: now, config: c)
        }
        guard let c = cached?.config, let s = c.surveys.first(where: { $0.key == c.show }) else { return nil }
        let sessionId = touch()
        guard !session.refused.contains(s.key), due(s.targeting?.triggers, memory: memory, event: event, now: now),
              !resting(s.key, s.targeting, c.fatigue ?? .defaults, memory, sessionShown: session.shown, now: now)
        else { return nil }
        var body: [String: JSONValue] = ["id": .string(uuidv7()), "survey": .string(s.key), "session_id": .string(sessionId)]
        if let respondentId { body["respondent_id"] = .string(respondentId) }
        guard await askShown(body).show else {
            session.refused.insert(s.key) // asked once per session: the server's no holds that long
            return nil
        }
        remember(s.key, "s", exempt: s.targeting?.fatigue_exempt ?? false)
        return s
    }

    /// POST /v1/responses/shown, retried with the same id (a replay gets the first answer);
    /// not queued: the question only matters now.
    private func askShown(_ body: [String: JSONValue]) async -> ShownAnswer {
        for tries in 1...Self.shownTries {
            var retryAfter: Double?
            do {
                let (data, response) = try await send("POST", "v1/responses/shown", body)
                if (200..<300).contains(response.statusCode), let a = try? JSONDecoder().decode(ShownAnswer.self, from: data) {
                    return a
                }
                let s = response.statusCode
                if s != 408 && s != 429 && s < 500 { break }
                retryAfter = response.value(forHTTPHeaderField: "Retry-After").flatMap(Double.init)
            } catch {
                // offline: try again shortly
            }
            if tries == Self.shownTries { break }
            try? await Task.sleep(nanoseconds: UInt64(min(10, Self.backoff(retryAfter, failures: tries)) * 1_000_000_000))
        }
        return ShownAnswer(id: "", show: false, reason: nil)
    }

    /// The session's id, after starting a new session if the old one went idle.
    private func touch() -> String {
        let now = Date().timeIntervalSince1970
        if now - session.usedAt > Self.sessionIdle { session = (id: uuidv7(), shown: 0, refused: Set<String>(), usedAt: now) }
        session.usedAt = now
        return session.id
    }

    /// Records on the device that survey `key` was shown (s), answered (a) or dismissed (d).
    private func remember(_ key: String, _ what: String, exempt: Bool? = nil) {
        var c = memory.surveys[key] ?? Contact()
        let now = Date().timeIntervalSince1970
        switch what {
        case "s": c.s = now
        case "a": c.a = now
        default: c.d = now
        }
        if let exempt { c.x = exempt }
        memory.surveys[key] = c
        if what == "s" && c.x != true { _ = touch(); session.shown += 1 }
        saveMemory()
    }

    private func saveMemory() {
        if let data = try? JSONEncoder().encode(memory) { try? data.write(to: memoryFile, options: .atomic) }
    }

    /// The configuration, and with a respondent id the survey to show now (`show`).
    public func config() async throws -> WidgetConfig {
        var c = URLComponents(url: host.appendingPathComponent("v1/widget/config"), resolvingAgainstBaseURL: false)!
        var items: [URLQueryItem] = []
        if let r = respondentId { items.append(URLQueryItem(name: "respondent_id", value: r)) }
        for (k, v) in attributes { items.append(URLQueryItem(name: "attributes[\(k)]", value: v)) }
        c.queryItems = items.isEmpty ? nil : items
        var req = URLRequest(url: c.url!)
        req.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: req)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw URLError(.badServerResponse) }
        return try JSONDecoder().decode(WidgetConfig.self, from: data)
    }

    /// Queues an answer (saved to disk first) and sends it; returns its id for the follow-up.
    /// `answers` maps question keys to answers: a choice survey sends `["main": …]` and no score.
    @discardableResult
    public func answer(survey: String, score: Int?, comment: String? = nil, category: String? = nil,
                       timeToAnswer: TimeInterval? = nil, answers: [String: JSONValue]? = nil) -> String {
        let id = uuidv7()
        var body: [String: JSONValue] = [
            "id": .string(id), "survey": .string(survey), "hp": .string(""),
            "client_time": .string(ISO8601DateFormatter().string(from: Date())),
            "attributes": .object(attributes.mapValues { .string($0) }),
        ]
        if let score { body["score"] = .number(Double(score)) }
        if let comment { body["comment"] = .string(comment) }
        if let category { body["category"] = .string(category) }
        if let respondentId { body["respondent_id"] = .string(respondentId) }
        if let timeToAnswer { body["time_to_answer_ms"] = .number((timeToAnswer * 1000).rounded()) }
        if let answers { body["answers"] = .object(answers) }
        remember(survey, "a")
        push(Item(kind: "answer", id: id, body: body))
        return id
    }

    /// The follow-up comment: joins the answer while it still waits, else a PATCH.
    public func followUp(id: String, comment: String) {
        if !flushing, let i = queue.firstIndex(where: { $0.kind == "answer" && $0.id == id }) {
            queue[i].body["comment"] = .string(comment)
            save()
            Task { await flush() }
        } else {
            push(Item(kind: "follow_up", id: id, body: ["comment": .string(comment)]))
        }
    }

    /// The answer to the additional question `key` of answer `id` (a choice's `ChoiceAnswer.json`,
    /// a rating's `.number`, a text's `.string`): PATCH /v1/responses/{id}
    /// `{"answers": {key: value}}`, queued behind the answer itself so it never arrives first.
    public func answerQuestion(id: String, key: String, value: JSONValue) {
        push(Item(kind: "follow_up", id: id, body: ["answers": .object([key: value])]))
    }

    /// The person closed the survey without answering: its recontact period starts.
    public func dismiss(survey: String) async {
        remember(survey, "d")
        guard let respondentId else { return }
        _ = try? await send("POST", "v1/responses/dismiss", ["survey": .string(survey), "respondent_id": .string(respondentId)])
    }

    public var pending: Int { queue.count }

    private func push(_ item: Item) {
        queue.append(item)
        save()
        Task { await flush() }
    }

    private func save() {
        queue = Array(queue.suffix(Self.queueMax))
        if let data = try? JSONEncoder().encode(queue) { try? data.write(to: file, options: .atomic) }
    }

    private func send(_ method: String, _ path: String, _ body: [String: JSONValue]) async throws -> (Data, HTTPURLResponse) {
        var req = URLRequest(url: host.appendingPathComponent(path))
        req.httpMethod = method
        req.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        req.httpBody = try JSONEncoder().encode(body)
        let (data, response) = try await URLSession.shared.data(for: req)
        return (data, response as! HTTPURLResponse)
    }

    /// Sends what waits, oldest first. Call it at launch and when the app goes to the
    /// background too (SwiftUI: `.onChange(of: scenePhase)`).
    public func flush() async {
        guard !flushing, retryTask == nil else { return }
        flushing = true
        defer { flushing = false }
        while let item = queue.first {
            let path = item.kind == "answer" ? "v1/responses" : "v1/responses/\(item.id)"
            let response: HTTPURLResponse
            do { (_, response) = try await send(item.kind == "answer" ? "POST" : "PATCH", path, item.body) } catch {
                return scheduleRetry(after: nil)
            }
            let s = response.statusCode
            let permanent = (400..<500).contains(s) && s != 408 && s != 429
            if !(200..<300).contains(s) && !permanent {
                return scheduleRetry(after: (response.value(forHTTPHeaderField: "Retry-After")).flatMap(Double.init))
            }
            // 201 stored, 200 replay of the same id, or a refusal no retry can fix.
            queue.removeFirst()
            failures = 0
            save()
        }
    }

    /// Retry-After when the server gave one, else exponential backoff with jitter (seconds).
    private static func backoff(_ retryAfter: Double?, failures: Int) -> Double {
        retryAfter ?? min(300, pow(2, Double(failures - 1))) * Double.random(in: 0.5...1)
    }

    private func scheduleRetry(after seconds: Double?) {
        failures += 1
        let delay = Self.backoff(seconds, failures: failures)
        retryTask = Task {
            try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
            self.retryTask = nil
            await self.flush()
        }
    }
}

/// Enough JSON to keep queued bodies on disk.
public enum JSONValue: Codable {
    case string(String), number(Double), array([JSONValue]), object([String: JSONValue])
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .string(s) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let n): if n == n.rounded() { try c.encode(Int(n)) } else { try c.encode(n) }
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension ChoiceAnswer {
    /// As `answers` carries it: `["price"]`, or `{"options": ["other"], "other": "Too slow"}`.
    public var json: JSONValue {
        let keys = JSONValue.array(options.map { JSONValue.string($0) })
        guard let other else { return keys }
        return .object(["options": keys, "other": .string(other)])
    }
}

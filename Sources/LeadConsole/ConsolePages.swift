import Foundation

/// The console's three pages as server-rendered HTML: login, the board and the desk.
///
/// The pages carry the login's identity and CSRF token; the numbers and leads arrive from
/// the API and the live feed and are drawn by `ConsoleAssets.script` (plain JS, embedded in
/// the binary, no CDN). Every form is a protocol verb: `data-verb` names it and its inputs
/// are named as the verb's keys, so the page holds no rule of its own.
enum ConsolePages {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func page(title: String, body: String, entry: ConsoleSessions.Entry?, kind: String) -> String {
        var attributes = "data-page=\"\(kind)\""
        if let entry {
            attributes += " data-agent=\"\(escape(entry.login.agent))\" data-team=\"\(escape(entry.login.team))\""
                + " data-role=\"\(escape(entry.login.role))\" data-tz=\"\(escape(entry.timeZone))\""
        }
        let csrf = entry.map { "<meta name=\"csrf\" content=\"\(escape($0.csrf))\">" } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            \(csrf)
            <title>\(escape(title)) · Leadline</title>
            <link rel="stylesheet" href="/assets/console.css">
            <script src="/assets/console.js" defer></script>
            </head><body \(attributes)>
            \(body)
            </body></html>
            """
    }

    static func header(_ entry: ConsoleSessions.Entry, current: String) -> String {
        let login = entry.login
        let links = login.oversees
            ? "<a href=\"/board\"\(current == "board" ? " class=\"here\"" : "")>Board</a> <a href=\"/desk\"\(current == "desk" ? " class=\"here\"" : "")>Desk</a>"
            : ""
        return """
            <header><h1>Leadline</h1><nav>\(links)</nav>
            <span id="me">\(escape(login.agent)) · \(escape(login.role)) · team \(escape(login.team)) · \(escape(entry.timeZone))</span>
            <span id="live" class="off" title="live feed">offline</span>
            <form method="post" action="/logout" id="logout"><input type="hidden" name="csrf" value="\(escape(entry.csrf))">
            <button type="submit">Log out</button></form></header>
            """
    }

    static func options(_ values: [String], blank: String? = nil) -> String {
        (blank.map { "<option value=\"\">\(escape($0))</option>" } ?? "")
            + values.map { "<option value=\"\(escape($0))\">\(escape($0))</option>" }.joined()
    }

    // MARK: login

    static func login(csrf: String, error: String?) -> String {
        let message = error.map { "<p class=\"error\" id=\"login-error\">\(escape($0))</p>" } ?? ""
        return page(title: "Log in", body: """
            <main class="login"><h1>Leadline floor console</h1>
            <p>Log in with your agent name and the token your team lead gave you.</p>
            \(message)
            <form method="post" action="/login" id="login">
            <input type="hidden" name="csrf" value="\(escape(csrf))">
            <label>Agent <input name="agent" id="agent" autocomplete="username" required></label>
            <label>Token <input name="token" id="token" type="password" autocomplete="current-password" required></label>
            <button type="submit">Log in</button>
            </form></main>
            """, entry: nil, kind: "login")
    }

    // MARK: board

    static func board(_ entry: ConsoleSessions.Entry) -> String {
        let views = options(ConsoleVerbs.views.filter { $0 != "all" }, blank: "any view")
        let team = entry.login.isAdmin ? "<label>team <input name=\"team\" placeholder=\"your team\"></label>" : ""
        return page(title: "Board", body: header(entry, current: "board") + """
            <main class="board">
            <section id="queues-section"><h2>Queues <small id="floor-time"></small></h2>
            <table id="queues"><thead><tr><th>team</th><th>view</th><th>ready</th><th>claimable</th><th>breached</th>
            <th>oldest age</th><th>held</th><th>scheduled</th><th>callbacks next hour</th><th>callbacks overdue</th>
            <th>breaches today</th></tr></thead><tbody></tbody></table></section>

            <section id="breaches-section"><h2>SLA breaches, live</h2><ol id="breaches"></ol>
            <p class="hint" id="breaches-empty">None since this page opened.</p></section>

            <section id="agents-section"><h2>Agents</h2>
            <table id="agents"><thead><tr><th>agent</th><th>team</th><th>role</th><th>status</th><th>holding</th><th>assigned</th>
            <th>claims today</th><th>calls today</th><th>conversions today</th><th></th></tr></thead><tbody></tbody></table></section>

            <section id="actions"><h2>Actions</h2>
            <form data-verb="STAR" id="star-form"><h3>Star leads</h3>
            <label>view <select name="view">\(views)</select></label><label>city <input name="city"></label>
            <label>source <input name="source"></label><label>created before <input name="before" placeholder="2026-06-15T00:00:00+05:30"></label>
            <label>created after <input name="after"></label><label>lead <input name="lead" inputmode="numeric"></label>\(team)
            <button type="submit">Star</button> <button type="submit" data-verb="UNSTAR">Unstar</button><output></output></form>

            <form data-verb="ASSIGN" id="assign-form"><h3>Assign a lead</h3>
            <label>lead <input name="lead" inputmode="numeric" required></label><label>agent <input name="agent" required></label>
            <label><input type="checkbox" name="force" value="1"> force (take it from its holder)</label>
            <button type="submit">Assign</button><output></output></form>

            <form data-verb="MOVE" id="move-form"><h3>Move leads</h3>
            <label>from <input name="from" placeholder="pool or agent" required></label><label>to <input name="to" placeholder="pool or agent" required></label>
            <label>count <input name="count" inputmode="numeric"></label><label>view <select name="view">\(views)</select></label>
            <label>city <input name="city"></label><label><input type="checkbox" name="force" value="1"> force</label>
            <button type="submit">Move</button><output></output></form>

            <form data-verb="SIGNAL" id="signal-form"><h3>Signal: customer online, failed payment</h3>
            <label>lead <input name="lead" inputmode="numeric" required></label>
            <label>kind <select name="kind">\(options(ConsoleVerbs.signals))</select></label>
            <label>note <input name="note" placeholder="required for payment_failed"></label>
            <button type="submit">Signal</button><output></output></form>

            <form data-verb="TEAM SET" id="team-form"><h3>Team settings</h3>\(team)
            <label>starred mode <select name="starred_mode"><option value="">unchanged</option><option value="1">on</option><option value="0">off</option></select></label>
            <label>shift end <input name="shift_end" placeholder="HH:MM or none"></label>
            <label>juniors get High Ends <select name="junior_high_ends"><option value="">unchanged</option><option value="1">yes</option><option value="0">no</option></select></label>
            <label>account manager <input name="account_manager" placeholder="agent or none"></label>
            <label>lease minutes <input name="lease_minutes" inputmode="numeric"></label>
            <label>callback grace minutes <input name="callback_grace_minutes" inputmode="numeric"></label>
            <label>call window <input name="call_window" placeholder="09:00-21:00"></label>
            <button type="submit">Save (empty = show current)</button><output></output></form>

            <form data-verb="AUDIT" id="audit-form"><h3>Audit log</h3>\(team)
            <label>agent <input name="agent"></label><label>limit <input name="limit" value="20" inputmode="numeric"></label>
            <button type="submit">Show</button><output></output></form>
            </section>
            </main>
            """, entry: entry, kind: "board")
    }

    // MARK: desk

    static func desk(_ entry: ConsoleSessions.Entry) -> String {
        let zone = escape(entry.timeZone)
        return page(title: "Desk", body: header(entry, current: "desk") + """
            <main class="desk">
            <nav id="tabs">
            <button type="button" data-view="" class="tab selected">All <span data-count="all">·</span></button>
            <button type="button" data-view="not_called" class="tab">Not Called <span data-count="not_called">·</span></button>
            <button type="button" data-view="callback" class="tab">Callbacks <span data-count="callback">·</span></button>
            <button type="button" data-view="high_end" class="tab">High Ends <span data-count="high_end">·</span></button>
            </nav>
            <p class="hint">Counts: leads ready to call now in your team (claimable / ready).</p>
            <p><button type="button" id="next">Next lead</button> <output id="claim-result"></output></p>
            <section id="mine-section"><h2>Leads you hold</h2><ul id="mine"></ul></section>

            <section id="card" hidden><h2>Lead <span id="card-lead"></span>
            <small>lease <span id="card-lease"></span>, <span id="lease-left"></span> left</small></h2>
            <table id="card-fields"></table>
            <p><button type="button" id="touch">Extend lease</button>
            <button type="button" id="history-button">History</button>
            <output id="card-result"></output></p>

            <form id="dispose-form" data-verb="DISPOSE" data-lease="1"><h3>Disposition</h3>
            <label>code <select name="code" id="dispose-code">\(options(ConsoleVerbs.dispositions))</select></label>
            <label>reason <select name="reason" id="dispose-reason">\(options(ConsoleVerbs.reasons, blank: "no reason"))</select></label>
            <label class="wide">note (mandatory) <textarea name="note" id="dispose-note" rows="2"></textarea></label>
            <label>callback time (\(zone)) <input type="datetime-local" name="at_local" id="dispose-at"></label>
            <button type="submit">Save disposition</button><output></output></form>

            <form id="release-form" data-verb="RELEASE" data-lease="1"><h3>Release without a call</h3>
            <label class="wide">note <input name="note" id="release-note"></label>
            <button type="submit">Release</button><output></output></form>

            <form id="convert-form" data-verb="CONVERT" data-lease="1" data-idem="1"><h3>Create order (CONVERT)</h3>
            <label><input type="checkbox" name="consent" value="1" id="convert-consent"> customer said "Yes, please place the order"</label>
            <label><input type="checkbox" name="price_confirmed" value="1"> customer accepted the estimated price</label>
            <label>category <input name="category" data-from="category"></label><label>brand <input name="brand" data-from="brand"></label>
            <label>model <input name="model" data-from="model"></label><label>variant <input name="variant" data-from="variant"></label>
            <label>conditions <input name="conditions" data-from="conditions"></label><label>pincode <input name="pincode" data-from="pincode"></label>
            <label class="wide">address <input name="address"></label><label>landmark <input name="landmark"></label>
            <label>pickup slot (\(zone)) <input type="datetime-local" name="slot_local"></label>
            <label>payment <select name="payment"><option value="">choose</option><option value="upi">upi</option><option value="bank">bank</option></select></label>
            <label>UPI id or account <input name="payment_ref"></label><label>price (paise) <input name="price" data-from="price"></label>
            <label class="wide">note <input name="note"></label>
            <button type="submit">Create order</button><output></output>
            <ol id="precheck-failures"></ol></form>
            </section>

            <section id="history-section" hidden><h2>History of lead <span id="history-lead"></span></h2>
            <table id="history-fields"></table><ol id="history"></ol></section>
            </main>
            """, entry: entry, kind: "desk")
    }
}

#!/usr/bin/env node
// Renders the Teams cards jitd builds with Microsoft's own Adaptive Cards
// renderer (npm adaptivecards, in a jsdom document) and the Markdown engine
// it uses (markdown-it, also with link detection on, as Teams detects bare
// links), and checks the Slack bodies against Slack's mrkdwn rules (Slack
// publishes no renderer). The bodies come from payload-cases (argv[2]):
// every event, with each field a requester or another person writes set to
// hostile Markdown/mrkdwn and a marker of its own. For each one:
//  - Teams: the card parses; nothing of the sample renders as a link,
//    image, emphasis, code, heading, list, quote, table or rule; its text
//    shows exactly as typed; the buttons are titled with the approvers'
//    names.
//  - Slack: every mrkdwn text is verbatim (no automatic links or
//    mentions); the sample is there, written by the documented rule, and
//    what that rule writes holds no character that formats, links or
//    mentions.
'use strict';

const { execFileSync } = require('child_process');
const { JSDOM } = require('jsdom');

const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>', { pretendToBeVisual: true, url: 'https://teams.example/' });
// The renderer expects a browser's globals (document, HTMLButtonElement, ...)
// and writes button titles with innerText, which jsdom lacks.
Object.defineProperty(dom.window.HTMLElement.prototype, 'innerText', {
    get() { return this.textContent; },
    set(v) { this.textContent = v; },
});
global.window = dom.window;
for (const name of Object.getOwnPropertyNames(dom.window))
    if (!(name in global))
        global[name] = dom.window[name];

const markdownit = require('markdown-it');
// The package's lib/ is ES modules with extensionless imports, which node
// cannot load; dist/ is the same renderer as one UMD bundle (what a web page
// loads).
const AC = require('adaptivecards/dist/adaptivecards.js');

// What Markdown makes of markup (the card's own FactSet is a <table>, so
// Markdown tables are found by their head).
const FORBIDDEN = 'a, img, em, strong, code, pre, h1, h2, h3, h4, h5, h6, ul, ol, li, blockquote, del, s, thead, th, hr';

let failures = 0;
let checked = 0;
const shown = new Set(); // "format event field" seen in a message
function fail(c, what) {
    failures++;
    if (failures <= 40)
        console.error(`FAIL ${c.format} ${c.event} ${JSON.stringify(c.sample)}: ${what}`);
}

// What jit_sanitize() leaves of a sample: control characters become '?'.
function sanitised(s) {
    return s.replace(/[\x00-\x1f\x7f]/g, '?');
}

function squash(s) {
    return s.replace(/\s+/g, ' ').trim();
}

// ---- Teams ----

function renderCard(content, md) {
    AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
        result.outputHtml = md.render(text);
        result.didProcess = true;
    };
    const card = new AC.AdaptiveCard();
    const context = new AC.SerializationContext();
    card.parse(content, context);
    const errors = [];
    for (let i = 0; i < context.eventCount; i++)
        errors.push(context.getEventAt(i).message);
    return { element: card.render(), errors };
}

function checkTeams(c) {
    const raw = JSON.stringify(c.body);
    const content = c.body.attachments && c.body.attachments[0] && c.body.attachments[0].content;
    if (!content)
        return fail(c, 'no card');
    // Link detection on too: it finds all the default finds, and more.
    const { element, errors } = renderCard(content, markdownit({ linkify: true }));
    if (!element)
        return fail(c, 'the card does not render');
    if (errors.length)
        fail(c, `parse errors: ${errors.join('; ')}`);
    const found = [...element.querySelectorAll(FORBIDDEN)];
    if (found.length)
        fail(c, `rendered <${found[0].tagName.toLowerCase()}>: ${found[0].outerHTML.slice(0, 200)}`);
    const text = squash(element.textContent);
    for (const [field, marker] of Object.entries(c.markers)) {
        if (!raw.includes(marker))
            continue;
        shown.add(`${c.format} ${c.event} ${field}`);
        const want = squash(sanitised(c.sample) + ' ' + marker);
        if (!text.includes(want))
            fail(c, `${field}: "${want}" is not shown as typed in: ${text.slice(0, 400)}`);
    }
    if (c.event === 'jit.request.created') {
        const buttons = [...element.querySelectorAll('button')].map((b) => squash(b.textContent));
        if (JSON.stringify(buttons) !== JSON.stringify(['bob', 'carol']))
            fail(c, `buttons ${JSON.stringify(buttons)}, not the approvers' names`);
    }
    checked++;
}

// ---- Slack ----

// ":name:" is an emoji code (names: letters, digits, _ + ' -); hex digits
// alone are a piece of an IPv6 address.
function opensEmoji(s, i) {
    const m = /^:([A-Za-z0-9_+'-]+):/.exec(s.slice(i));
    return m !== null && !/^[0-9A-Fa-f]+$/.test(m[1]);
}

// Slack's rules for text in mrkdwn (api.slack.com/reference/surfaces/formatting):
// escape &, < and >; there is no escape for *, _, ~ and `, so they become
// look-alikes; _ between two letters or digits formats nothing and stays;
// nor for emoji codes, whose opening ':' becomes a look-alike.
function slackRule(s) {
    const alnum = (ch) => ch !== undefined && /[A-Za-z0-9]/.test(ch);
    let out = '';
    for (let i = 0; i < s.length; i++) {
        const ch = s[i];
        if (ch === '&') out += '&amp;';
        else if (ch === '<') out += '&lt;';
        else if (ch === '>') out += '&gt;';
        else if (ch === '*') out += '\u2217';
        else if (ch === '~') out += '\u223c';
        else if (ch === '`') out += '\u02cb';
        else if (ch === '_') out += alnum(s[i - 1]) && alnum(s[i + 1]) ? '_' : '\uff3f';
        else if (ch === ':') out += opensEmoji(s, i) ? '\u2236' : ':';
        else out += ch;
    }
    return out;
}

// What a piece of mrkdwn could still do: an entity other than the three,
// an angle bracket (links, mentions, dates), a formatting character that
// is not between two letters or digits, or an emoji code.
function slackInert(s) {
    if (/[<>]/.test(s) || /[*~`]/.test(s))
        return false;
    if (/&(?!amp;|lt;|gt;)/.test(s))
        return false;
    for (let i = 0; i < s.length; i++)
        if (s[i] === ':' && opensEmoji(s, i))
            return false;
    for (let i = 0; i < s.length; i++)
        if (s[i] === '_' && !(/[A-Za-z0-9]/.test(s[i - 1] || '') && /[A-Za-z0-9]/.test(s[i + 1] || '')))
            return false;
    return true;
}

function mrkdwnObjects(o, out) {
    if (Array.isArray(o))
        o.forEach((v) => mrkdwnObjects(v, out));
    else if (o && typeof o === 'object') {
        if (o.type === 'mrkdwn')
            out.push(o);
        Object.values(o).forEach((v) => mrkdwnObjects(v, out));
    }
    return out;
}

function checkSlack(c) {
    const texts = mrkdwnObjects(c.body.blocks, []);
    for (const t of texts)
        if (t.verbatim !== true)
            fail(c, `mrkdwn without "verbatim": true: ${t.text.slice(0, 120)}`);
    const all = texts.map((t) => t.text).join('\n') + '\n' + (c.body.text || '');
    for (const [field, marker] of Object.entries(c.markers)) {
        if (!all.includes(marker))
            continue;
        shown.add(`${c.format} ${c.event} ${field}`);
        const written = slackRule(sanitised(c.sample) + ' ' + marker);
        if (!slackInert(written))
            fail(c, `${field}: the rule leaves markup in ${JSON.stringify(written)}`);
        if (!all.includes(written))
            fail(c, `${field}: ${JSON.stringify(written)} is not in the message`);
    }
    // Nothing of ours starts a link, mention or entity except the dates.
    for (const t of texts) {
        const rest = t.text.replace(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>/g, '');
        if (/[<>]/.test(rest))
            fail(c, `an angle bracket outside a date: ${rest.slice(0, 160)}`);
        if (/&(?!amp;|lt;|gt;)/.test(rest))
            fail(c, `a bare & in: ${rest.slice(0, 160)}`);
    }
    checked++;
}

function main() {
    const generator = process.argv[2];
    if (!generator) {
        console.error('usage: render-check.js PAYLOAD-CASES');
        process.exit(2);
    }
    const cases = JSON.parse(execFileSync(generator, { maxBuffer: 256 * 1024 * 1024 }).toString());
    const events = new Set();
    for (const c of cases) {
        events.add(c.event);
        if (c.format === 'teams')
            checkTeams(c);
        else if (c.format === 'slack')
            checkSlack(c);
        else
            fail(c, 'unknown format');
    }
    // Every field is in every message that should carry it: all facts in
    // every event, who decided in decisions, their reason in denials and
    // withdrawals.
    for (const format of ['slack', 'teams'])
        for (const event of events)
            for (const field of ['user', 'host', 'service', 'rhost', 'tty', 'reason']
                     .concat(/approved|denied|cancelled/.test(event) ? ['decided_by'] : [])
                     .concat(/denied|cancelled/.test(event) ? ['decision_reason'] : []))
                if (!shown.has(`${format} ${event} ${field}`))
                    fail({ format, event, sample: '' }, `${field} never shown`);
    if (events.size !== 5)
        fail({ format: '-', event: '-', sample: '' }, `${events.size} events, not 5`);
    console.log(`${checked} bodies checked (${events.size} events x samples x 2 formats, 8 fields each), ` +
                `${failures} failure(s)`);
    process.exit(failures ? 1 : 0);
}

main();

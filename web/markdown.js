// markdown.js — renders a message's markdown source as DOM nodes, in a small and safe subset.
//
// Messages are stored as their raw source; every reader renders them here. The subset: **bold**,
// *italic* and _italic_, ~~strike~~, `code`, ``` fenced code blocks ```, > block quotes, - and 1.
// lists, [text](url) links and bare http(s) URLs, @mentions the server resolved, and line breaks
// as typed. Everything else, HTML included, is shown as the text it is.
//
// Why it is safe: the output is built with createElement and text nodes only, never innerHTML,
// so no input can become a tag or an attribute we did not choose; a link's href is the URL
// parser's own serialisation of an absolute http:, https: or mailto: URL, so javascript:, data:,
// relative and protocol-relative addresses stay text.
//
// Why it is fast on hostile input: no regular expression here runs over unbounded text with
// backtracking. Each text is scanned once, left to right; code spans and links find their ends
// through tables built in one pass (the next backtick run of a length, the next bracket or
// parenthesis), and emphasis is matched with one stack per kind of delimiter, so every character
// is looked at a bounded number of times. Quotes and lists nest at most MAX_BLOCK_DEPTH deep and
// emphasis and links MAX_INLINE_DEPTH deep; deeper markers are shown as text.
"use strict";

const renderMarkdown = (() => {
  /** How deep quotes and lists nest; a marker past it is shown as text. */
  const MAX_BLOCK_DEPTH = 8;
  /** How deep emphasis and links nest; a delimiter past it is shown as text. */
  const MAX_INLINE_DEPTH = 8;
  /** How many resolved mentions are looked for; the server sends at most 50. */
  const MAX_MENTIONS = 64;
  /** How many nested parentheses a link's URL may hold, as in Wikipedia's Foo_(bar). */
  const MAX_URL_PARENS = 8;
  /** Longer link targets stay text: no browser needs more, and it bounds the URL parser's work. */
  const MAX_URL_LENGTH = 4096;

  const LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

  // Each of these is tested against one character (one code point) at a time.
  const SPACE = /\s/;
  const PUNCTUATION = /[\p{P}\p{S}]/u;
  const MENTION_PUNCTUATION = /\p{P}/u; // as Go's unicode.IsPunct, the server's mention boundary
  const WORD = /[\p{L}\p{N}_]/u;
  const ASCII_PUNCTUATION = /[!-\/:-@\[-`{-~]/;
  /** Bidirectional controls: they never become part of a link target or a bare URL. */
  const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  /** Characters that end a bare URL. */
  const URL_STOP = /[\s<>"'`\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  /** Punctuation that usually ends a sentence (or an emphasis) rather than a bare URL. */
  const URL_TRAILER = new Set([".", ",", ";", ":", "!", "?", ")", "]", "}", "'", '"', "*", "_", "~"]);

  const TEXT = 0;
  const CODE = 1;
  const LINK = 2;
  const MENTION = 3;
  const DELIMITER = 4;

  /** The code point that ends just before index i, or "" at the start. */
  function charBefore(s, i) {
    if (i <= 0) return "";
    const low = s.charCodeAt(i - 1);
    if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
      const high = s.charCodeAt(i - 2);
      if (high >= 0xd800 && high <= 0xdbff) return s.slice(i - 2, i);
    }
    return s[i - 1];
  }

  /** The code point that starts at index i, or "" at the end. */
  function charAt(s, i) {
    return i < s.length ? String.fromCodePoint(s.codePointAt(i)) : "";
  }

  function isSpace(c) {
    return c === "" || SPACE.test(c);
  }

  /** Whether c may stand next to an @mention: the edge, a space or punctuation but _ and @. */
  function mentionBoundary(c) {
    return c === "" || SPACE.test(c) || (MENTION_PUNCTUATION.test(c) && c !== "_" && c !== "@");
  }

  /**
   * The href for a link target, or "" when it must stay text: only an absolute http:, https:
   * or mailto: URL, as the URL parser serialises it (so what was checked is what is used).
   */
  function safeHref(raw, protocols) {
    if (!raw || raw.length > MAX_URL_LENGTH || BIDI_CONTROL.test(raw)) return "";
    let url;
    try {
      url = new URL(raw); // no base: a relative or protocol-relative target throws
    } catch (e) {
      return "";
    }
    if (!protocols.has(url.protocol)) return "";
    if (url.protocol === "mailto:" ? !url.pathname : !url.hostname) return "";
    return url.href;
  }

  const WEB_PROTOCOLS = new Set(["http:", "https:"]);

  // ---- Blocks ----

  function isBlank(line) {
    return line.trim() === "";
  }

  function indentOf(line) {
    let i = 0;
    while (line[i] === " ") i++;
    return i;
  }

  /** A fence that opens a code block: up to 3 spaces, 3 or more backticks, no backtick after. */
  function fenceOpen(line) {
    const indent = indentOf(line);
    if (indent > 3) return null;
    let j = indent;
    while (line[j] === "`") j++;
    if (j - indent < 3 || line.indexOf("`", j) !== -1) return null;
    return { indent, length: j - indent };
  }

  function fenceCloses(line, length) {
    const indent = indentOf(line);
    if (indent > 3) return false;
    let j = indent;
    while (line[j] === "`") j++;
    return j - indent >= length && line.slice(j).trim() === "";
  }

  /** The rest of a block quote line after its ">" and one space, or null if it is not one. */
  function quoteContent(line) {
    const indent = indentOf(line);
    if (indent > 3 || line[indent] !== ">") return null;
    let j = indent + 1;
    if (line[j] === " ") j++;
    return line.slice(j);
  }

  /** A list item's marker: "- ", "* ", "+ " or "1. " / "1) ", with its number and content. */
  function listItem(line) {
    const indent = indentOf(line);
    if (indent > 3) return null;
    const c = line[indent];
    let j = indent;
    let ordered = false;
    let start = 1;
    if (c === "-" || c === "*" || c === "+") {
      j++;
    } else {
      while (j - indent < 9 && line[j] >= "0" && line[j] <= "9") j++;
      if (j === indent || (line[j] !== "." && line[j] !== ")")) return null;
      ordered = true;
      start = parseInt(line.slice(indent, j), 10);
      j++;
    }
    if (line[j] !== " ") return null;
    let k = j;
    while (line[k] === " " && k - j < 4) k++;
    const content = line.slice(k);
    if (isBlank(content)) return null;
    return { ordered, start, indent, width: k, content };
  }

  /** Whether a list item may start in the middle of a paragraph (as in CommonMark). */
  function interruptsParagraph(item) {
    return !!item && (!item.ordered || item.start === 1);
  }

  function blocks(lines, parent, ctx, depth) {
    const nests = depth < MAX_BLOCK_DEPTH;
    const n = lines.length;
    let i = 0;
    while (i < n) {
      const line = lines[i];
      if (isBlank(line)) {
        i++;
        continue;
      }
      const fence = fenceOpen(line);
      // Unterminated, a code block runs to the end of the message, as in CommonMark; but a
      // fence with nothing after it is just backticks.
      if (fence && i + 1 < n) {
        const body = [];
        for (i++; i < n && !fenceCloses(lines[i], fence.length); i++) {
          const strip = Math.min(fence.indent, indentOf(lines[i]));
          body.push(lines[i].slice(strip));
        }
        i++;
        const pre = document.createElement("pre");
        const code = document.createElement("code");
        code.textContent = body.join("\n");
        pre.appendChild(code);
        parent.appendChild(pre);
        continue;
      }
      if (nests && quoteContent(line) !== null) {
        const inner = [];
        for (let q; i < n && (q = quoteContent(lines[i])) !== null; i++) inner.push(q);
        const quote = document.createElement("blockquote");
        blocks(inner, quote, ctx, depth + 1);
        parent.appendChild(quote);
        continue;
      }
      const item = nests ? listItem(line) : null;
      if (item) {
        i = list(lines, i, item, parent, ctx, depth);
        continue;
      }
      const para = [line];
      for (i++; i < n; i++) {
        const next = lines[i];
        if (isBlank(next) || (fenceOpen(next) && i + 1 < n)) break;
        if (nests && (quoteContent(next) !== null || interruptsParagraph(listItem(next)))) break;
        para.push(next);
      }
      const p = document.createElement("p");
      inline(para.join("\n"), p, ctx, 0, true);
      parent.appendChild(p);
    }
  }

  /**
   * Renders the list that starts with item at lines[i] and returns the index after it. An item
   * holds the lines indented under it (two spaces or more past its marker's indent), which may
   * hold lists of their own; blank lines between items keep the list going.
   */
  function list(lines, i, first, parent, ctx, depth) {
    const n = lines.length;
    const el = document.createElement(first.ordered ? "ol" : "ul");
    if (first.ordered && first.start !== 1) el.start = first.start;
    for (let item = first; item; ) {
      const body = [item.content];
      for (i++; i < n && !isBlank(lines[i]); i++) {
        const indent = indentOf(lines[i]);
        if (indent < item.indent + 2) break;
        body.push(lines[i].slice(Math.min(indent, item.width)));
      }
      const li = document.createElement("li");
      blocks(body, li, ctx, depth + 1);
      el.appendChild(li);
      let k = i;
      while (k < n && isBlank(lines[k])) k++;
      const next = k < n ? listItem(lines[k]) : null;
      item = null;
      if (next && next.ordered === first.ordered && next.indent < first.indent + 2) {
        item = next;
        i = k;
      }
    }
    parent.appendChild(el);
    return i;
  }

  // ---- Inline ----

  function inline(s, parent, ctx, depth, links) {
    const tokens = tokenize(s, ctx, links);
    matchDelimiters(tokens);
    build(tokens, parent, ctx, depth);
  }

  /**
   * The backtick runs of s by length, each with a cursor, so that finding the run that closes a
   * code span costs, over the whole text, one pass: the scan only moves forward.
   */
  function backtickRuns(s) {
    const byLength = new Map();
    for (let i = s.indexOf("`"); i !== -1; ) {
      let j = i;
      while (s[j] === "`") j++;
      let runs = byLength.get(j - i);
      if (!runs) byLength.set(j - i, (runs = { at: [], next: 0 }));
      runs.at.push(i);
      i = s.indexOf("`", j);
    }
    return (length, after) => {
      const runs = byLength.get(length);
      if (!runs) return -1;
      while (runs.next < runs.at.length && runs.at[runs.next] <= after) runs.next++;
      return runs.next < runs.at.length ? runs.at[runs.next] : -1;
    };
  }

  /**
   * Tables for finding a link's parts in constant time: for every index, where the next "[",
   * "]", ")" and space are (n when there is none), and how many "(" and ")" come before it.
   */
  function linkTables(s) {
    const n = s.length;
    const openBracket = new Int32Array(n + 2).fill(n);
    const closeBracket = new Int32Array(n + 2).fill(n);
    const closeParen = new Int32Array(n + 2).fill(n);
    const space = new Int32Array(n + 2).fill(n);
    const opensBefore = new Int32Array(n + 1);
    const closesBefore = new Int32Array(n + 1);
    for (let i = n - 1; i >= 0; i--) {
      const c = s[i];
      openBracket[i] = c === "[" ? i : openBracket[i + 1];
      closeBracket[i] = c === "]" ? i : closeBracket[i + 1];
      closeParen[i] = c === ")" ? i : closeParen[i + 1];
      space[i] = s.charCodeAt(i) <= 32 || SPACE.test(c) ? i : space[i + 1];
    }
    for (let i = 0; i < n; i++) {
      opensBefore[i + 1] = opensBefore[i] + (s[i] === "(" ? 1 : 0);
      closesBefore[i + 1] = closesBefore[i] + (s[i] === ")" ? 1 : 0);
    }
    return { openBracket, closeBracket, closeParen, space, opensBefore, closesBefore };
  }

  /**
   * The link [label](target) that starts at s[i], or null. The label holds no brackets and the
   * target no brackets or spaces, so two candidate targets never overlap and each character is
   * parsed as a URL at most once.
   */
  function linkAt(s, i, t) {
    const n = s.length;
    const j = t.closeBracket[i + 1];
    if (j >= n || t.openBracket[i + 1] < j || s[j + 1] !== "(") return null;
    const start = j + 2;
    let k = t.closeParen[start];
    for (let nested = 0; k < n; nested++) {
      const opens = t.opensBefore[k] - t.opensBefore[start];
      const closes = t.closesBefore[k] - t.closesBefore[start];
      if (opens <= closes) break;
      if (nested === MAX_URL_PARENS) return null;
      k = t.closeParen[k + 1];
    }
    if (k >= n || t.space[start] < k || t.openBracket[start] < k || t.closeBracket[start] < k) return null;
    const label = s.slice(i + 1, j);
    if (isBlank(label)) return null;
    const href = safeHref(s.slice(start, k), LINK_PROTOCOLS);
    if (!href) return null;
    return { token: { kind: LINK, href, label, bare: false }, end: k + 1 };
  }

  /**
   * The bare http(s) URL that starts at s[i] (already known to start with the scheme): its end
   * without trailing punctuation (a closing parenthesis stays when the URL opened one), and the
   * end of the whole run, which the scan skips as text when the URL is not valid.
   */
  function bareURLAt(s, i, schemeLength) {
    const n = s.length;
    let runEnd = i + schemeLength;
    let opens = 0;
    let closes = 0;
    for (; runEnd < n && !URL_STOP.test(s[runEnd]); runEnd++) {
      if (s[runEnd] === "(") opens++;
      else if (s[runEnd] === ")") closes++;
    }
    let end = runEnd;
    while (end > i + schemeLength && URL_TRAILER.has(s[end - 1])) {
      if (s[end - 1] === ")") {
        if (closes <= opens) break;
        closes--;
      }
      end--;
    }
    const href = end > i + schemeLength ? safeHref(s.slice(i, end), WEB_PROTOCOLS) : "";
    return { href, end, runEnd };
  }

  function codeSpanText(raw) {
    const s = raw.replace(/\r?\n/g, " ");
    if (s.length >= 2 && s[0] === " " && s[s.length - 1] === " " && s.trim() !== "") return s.slice(1, -1);
    return s;
  }

  /** Splits s into text, code, link, mention and delimiter tokens, in one forward scan. */
  function tokenize(s, ctx, links) {
    const n = s.length;
    const tokens = [];
    const nextBackticks = backtickRuns(s);
    const linkT = links && s.indexOf("](") !== -1 ? linkTables(s) : null;
    let pending = ""; // text not yet in a token
    let from = 0; // s[from:i] is text not yet in pending
    const flushText = (to) => {
      if (to > from) pending += s.slice(from, to);
      if (pending) tokens.push({ kind: TEXT, text: pending });
      pending = "";
    };
    const push = (i, token, next) => {
      flushText(i);
      tokens.push(token);
      from = next;
      return next;
    };
    let i = 0;
    while (i < n) {
      const c = s[i];
      if (c === "\\" && i + 1 < n && ASCII_PUNCTUATION.test(s[i + 1])) {
        if (i > from) pending += s.slice(from, i);
        pending += s[i + 1];
        i += 2;
        from = i;
        continue;
      }
      if (c === "`") {
        let j = i;
        while (s[j] === "`") j++;
        const close = nextBackticks(j - i, j - 1);
        if (close === -1) {
          i = j; // no closing run: the backticks are text
          continue;
        }
        i = push(i, { kind: CODE, text: codeSpanText(s.slice(j, close)) }, close + (j - i));
        continue;
      }
      if (c === "[" && linkT) {
        const link = linkAt(s, i, linkT);
        if (link) {
          i = push(i, link.token, link.end);
          continue;
        }
        i++;
        continue;
      }
      if (c === "*" || c === "_" || c === "~") {
        let j = i;
        while (s[j] === c) j++;
        const length = j - i;
        const usable = c === "~" ? length === 2 : length <= 3;
        if (usable) {
          const before = charBefore(s, i);
          const after = charAt(s, j);
          const spaceBefore = isSpace(before);
          const spaceAfter = isSpace(after);
          const punctBefore = !spaceBefore && PUNCTUATION.test(before);
          const punctAfter = !spaceAfter && PUNCTUATION.test(after);
          const left = !spaceAfter && (!punctAfter || spaceBefore || punctBefore);
          const right = !spaceBefore && (!punctBefore || spaceAfter || punctAfter);
          // An underscore inside a word (snake_case) is not emphasis.
          const open = c === "_" ? left && (!right || punctBefore) : left;
          const close = c === "_" ? right && (!left || punctAfter) : right;
          if (open || close) {
            i = push(i, { kind: DELIMITER, char: c, length, open, close, pair: -1, literal: false }, j);
            continue;
          }
        }
        i = j;
        continue;
      }
      if (c === "@" && ctx.mentions.length && mentionBoundary(charBefore(s, i))) {
        let best = null;
        for (const m of ctx.mentions) {
          if (best && m.name.length <= best.name.length) continue;
          if (s.startsWith(m.name, i + 1) && mentionBoundary(charAt(s, i + 1 + m.name.length))) best = m;
        }
        if (best) {
          i = push(i, { kind: MENTION, text: "@" + best.name, me: best.me }, i + 1 + best.name.length);
          continue;
        }
      }
      if ((c === "h" || c === "H") && links && !WORD.test(charBefore(s, i))) {
        const head = s.slice(i, i + 8).toLowerCase();
        const scheme = head === "https://" ? 8 : head.startsWith("http://") ? 7 : 0;
        if (scheme) {
          const url = bareURLAt(s, i, scheme);
          if (url.href) {
            i = push(i, { kind: LINK, href: url.href, label: s.slice(i, url.end), bare: true }, url.end);
          } else {
            i = url.runEnd; // the whole run is text; never scanned again
          }
          continue;
        }
      }
      i++;
    }
    flushText(n);
    return tokens;
  }

  /**
   * Pairs emphasis delimiters. A closer takes the nearest open delimiter of its own kind (same
   * character, same length); openers between the two can no longer close outside the pair, so
   * they are dropped and stay text. Pairs therefore nest properly, and each delimiter is pushed
   * and popped at most once.
   */
  function matchDelimiters(tokens) {
    const stacks = new Map();
    for (let x = 0; x < tokens.length; x++) {
      const d = tokens[x];
      if (d.kind !== DELIMITER) continue;
      const key = d.char + d.length;
      let stack = stacks.get(key);
      if (d.close && stack && stack.length) {
        const o = stack.pop();
        tokens[o].pair = x;
        d.pair = o;
        for (const other of stacks.values()) {
          while (other.length && other[other.length - 1] > o) other.pop();
        }
        continue;
      }
      if (d.open) {
        if (!stack) stacks.set(key, (stack = []));
        stack.push(x);
      }
    }
  }

  function emphasis(d) {
    if (d.char === "~") return [document.createElement("del")];
    if (d.length === 1) return [document.createElement("em")];
    if (d.length === 2) return [document.createElement("strong")];
    const strong = document.createElement("strong");
    const em = document.createElement("em");
    strong.appendChild(em);
    return [strong, em];
  }

  function build(tokens, parent, ctx, depth) {
    const stack = [parent];
    // Text is gathered and added as one node when an element follows: appending to a DOM text
    // node piece by piece copies it each time, which is quadratic on long runs of literals.
    let text = "";
    const flush = () => {
      if (text) stack[stack.length - 1].appendChild(document.createTextNode(text));
      text = "";
    };
    const add = (el) => {
      flush();
      stack[stack.length - 1].appendChild(el);
    };
    for (let x = 0; x < tokens.length; x++) {
      const t = tokens[x];
      const level = depth + stack.length - 1;
      switch (t.kind) {
        case TEXT:
          text += t.text;
          break;
        case CODE: {
          const code = document.createElement("code");
          code.textContent = t.text;
          add(code);
          break;
        }
        case MENTION: {
          const span = document.createElement("span");
          span.className = t.me ? "mention mention-me" : "mention";
          span.textContent = t.text;
          add(span);
          break;
        }
        case LINK: {
          const a = document.createElement("a");
          a.href = t.href;
          a.rel = "noopener noreferrer nofollow";
          a.target = "_blank";
          if (t.bare || level >= MAX_INLINE_DEPTH) {
            a.textContent = t.label;
          } else {
            a.title = t.href; // where it goes, whatever its label says
            inline(t.label, a, ctx, level + 1, false);
          }
          add(a);
          break;
        }
        case DELIMITER: {
          const literal = t.char.repeat(t.length);
          if (t.pair === -1) {
            text += literal;
          } else if (t.pair > x) {
            if (level >= MAX_INLINE_DEPTH) {
              t.literal = true;
              text += literal;
            } else {
              const els = emphasis(t);
              add(els[0]);
              stack.push(els[els.length - 1]);
            }
          } else if (tokens[t.pair].literal) {
            text += literal;
          } else {
            flush();
            stack.pop();
          }
          break;
        }
      }
    }
    flush();
  }

  /**
   * Renders markdown source as a DocumentFragment. opts.mentions are the message's resolved
   * mentions ([{user, name}], as the server sent them); opts.meId is my user id and opts.me my
   * name (a mention carries the spelling typed, "@Ann", and the user the server resolved it to):
   * a mention of me gets the classes "mention mention-me", others "mention", and an @name the
   * server did not resolve stays text. opts.mentionRoom marks @room as a mention of everyone.
   */
  function renderMarkdown(text, opts = {}) {
    const mentions = [];
    for (const m of Array.isArray(opts.mentions) ? opts.mentions.slice(0, MAX_MENTIONS) : []) {
      if (!m || typeof m.name !== "string" || !m.name) continue;
      const mine = (!!opts.meId && m.user === opts.meId) || (!!opts.me && (m.user === opts.me || m.name === opts.me));
      mentions.push({ name: m.name, me: mine });
    }
    if (opts.mentionRoom) mentions.push({ name: "room", me: true });
    const ctx = { mentions };
    const lines = String(text == null ? "" : text).split("\n");
    for (let i = 0; i < lines.length; i++) if (lines[i].endsWith("\r")) lines[i] = lines[i].slice(0, -1);
    const fragment = document.createDocumentFragment();
    blocks(lines, fragment, ctx, 0);
    return fragment;
  }

  return renderMarkdown;
})();

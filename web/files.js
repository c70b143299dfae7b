// files.js — files as a person meets them (docs/protocol.md, Files; docs/api.md, POST /upload):
// sharing one (the attach button, a drop on the room, a pasted screenshot), its upload with
// progress and a way to cancel it, the files waiting in the composer until the message goes,
// and the files messages carry — an image as its thumbnail that opens full size in a lightbox,
// any other file as a card with its name, size, type and a download link.
//
// Everything a person named (a file's name, its type) goes into the page as text nodes; the
// addresses come from the server, and only http(s) ones are used. Loaded after render.js and
// before app.js: these functions use app.js's globals (client, ui, me, …) only when they run.
"use strict";

/** Limits the page applies before asking the server, which checks them anyway. */
const FILES_LIMITS = {
  attachments: 10, // hubbub.MaxAttachments: files one message may carry
  thumbBox: [320, 240], // the largest an image shows inline, in CSS pixels
  // How many files the page sends at once; the others wait their turn. The server refuses a
  // user's uploads past --uploads-per-user (default 4) with 429, so ten dropped files must
  // not all start together.
  uploadsAtOnce: 3,
};

/** The media types the server shows inline (Content-Disposition: inline); others download. */
const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

const filesUI = {
  /**
   * The files waiting in each room's composer, in the order they were added: {key, room, file,
   * name, size, state ("uploading", "done" or "failed"), loaded, xhr, att (POST /upload's
   * answer), error}.
   * @type {Map<string, object[]>}
   */
  drafts: new Map(),
  /** Whether the server takes files: false once POST /files/session answered 404. */
  available: true,
  /**
   * Whether the server refuses every upload (welcome's uploads_off, or an upload answered 403
   * "disabled" by a server older than the field): files already sent still show and download.
   */
  uploadsOff: false,
  /**
   * The files cookie of each origin files come from (this page's, and another one's with the
   * server's --files-url): a promise that settles once POST /files/session answered. Images
   * wait for it, so a guest's first pictures do not ask before the cookie is there.
   * @type {Map<string, Promise<void>>}
   */
  sessions: new Map(),
  /**
   * The files cookie each origin set: for whom (the credentials it was made from) and until
   * when it is worth keeping (a few minutes before it expires).
   * @type {Map<string, {who: string, until: number, made: number}>}
   */
  cookies: new Map(),
  nextKey: 0,
  /** The element that opened the lightbox, where the focus goes back. */
  opener: null,
  /** How many dragenter events the drop zone has seen without their dragleave. */
  dragDepth: 0,
  /** Whether the page asks before it is left (an upload is under way). */
  guarded: false,
};

// --- words ---------------------------------------------------------------------------------------

/** A size in bytes as people read it: "512 B", "12.3 KB", "4.0 MB". */
function humanSize(n) {
  if (!(n >= 0)) return "";
  if (n < 1024) return n + " B";
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (v >= 100 ? Math.round(v) : v.toFixed(1)) + " " + units[i];
}

/** A media type in words for a card: "PDF", "ZIP", "text", or the type itself. */
function typeLabel(type) {
  const t = String(type || "").split(";")[0].trim().toLowerCase();
  if (!t) return "file";
  const known = { "application/pdf": "PDF", "application/zip": "ZIP", "application/octet-stream": "file", "text/plain": "text" };
  if (known[t]) return known[t];
  return t;
}

/** The address u if it is an http(s) one (relative ones are resolved), else "". */
function safeFileURL(u) {
  if (typeof u !== "string" || !u) return "";
  try {
    const url = new URL(u, location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : "";
  } catch (e) {
    return "";
  }
}

/** Whether attachment a shows as a picture: an image type the server serves inline, with its size. */
function isInlineImage(a) {
  return INLINE_IMAGES.has(a.type) && a.width > 0 && a.height > 0 && !!safeFileURL(a.thumb_url || a.url);
}

/** The size an image shows at inline: its own, scaled down to fit FILES_LIMITS.thumbBox. */
function thumbSize(a) {
  const [bw, bh] = FILES_LIMITS.thumbBox;
  const scale = Math.min(1, bw / a.width, bh / a.height);
  return [Math.max(1, Math.round(a.width * scale)), Math.max(1, Math.round(a.height * scale))];
}

// --- attachments of a message --------------------------------------------------------------------

const FILE_ICONS = {
  file: ["M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z", "M14 3v5h5"],
  download: ["M12 4v11", "M7 10l5 5 5-5", "M5 20h14"],
  image: ["M5 4h14a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z", "M4 16l5-5 4 4 3-3 4 4", "M15 9h.01"],
  attach: ["M20 11.5 12.3 19.2a5 5 0 0 1-7.1-7.1l8.1-8.1a3.3 3.3 0 0 1 4.7 4.7l-8.1 8.1a1.7 1.7 0 0 1-2.4-2.4l7.4-7.4"],
};
Object.assign(ICONS, FILE_ICONS);

/**
 * Draws the files message m carries under its text: images as thumbnails that open the
 * lightbox, other files as cards. A deleted message carries none.
 */
function paintAttachments(body, m) {
  let box = body.querySelector(".attachments");
  const list = !m.deleted && Array.isArray(m.attachments) ? m.attachments : [];
  if (!list.length) {
    if (box) box.remove();
    body.querySelector(".text").hidden = false;
    return;
  }
  if (!box) {
    box = document.createElement("div");
    box.className = "attachments";
    body.querySelector(".text").after(box);
  }
  box.textContent = "";
  for (const a of list) box.appendChild(isInlineImage(a) ? imageAttachment(a) : fileCard(a));
  // A message of files alone has no text to show, not an empty line.
  body.querySelector(".text").hidden = !m.text;
}

/** An image attachment: its thumbnail, at its final size from the start, as a button. */
function imageAttachment(a) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "attachment-image";
  b.dataset.fileId = a.id;
  b.setAttribute("aria-label", "Open the image " + a.name + " (" + humanSize(a.size) + ")");
  b.title = a.name;
  const img = document.createElement("img");
  const [w, h] = thumbSize(a);
  // width and height before src: the row has its height before the picture arrives.
  img.width = w;
  img.height = h;
  img.alt = a.name;
  img.loading = "lazy";
  img.decoding = "async";
  img.addEventListener("error", () => b.classList.add("broken"));
  img.addEventListener("load", () => b.classList.remove("broken")); // after a retry
  loadWhenAllowed(img, safeFileURL(a.thumb && a.thumb_url ? a.thumb_url : a.url));
  b.appendChild(img);
  b.addEventListener("click", () => openLightbox(a, b));
  return b;
}

/** A card for any other file: its name (the download link), size and type. */
function fileCard(a) {
  const card = document.createElement("div");
  card.className = "file-card";
  card.dataset.fileId = a.id;
  const url = safeFileURL(a.url);
  const ic = icon("file");
  ic.classList.add("file-icon");
  const info = document.createElement("div");
  info.className = "file-info";
  const name = document.createElement(url ? "a" : "span");
  name.className = "file-name";
  name.textContent = a.name;
  if (url) {
    name.href = url;
    name.download = a.name;
    name.rel = "noopener";
  }
  const meta = document.createElement("span");
  meta.className = "file-meta";
  meta.textContent = humanSize(a.size) + " · " + typeLabel(a.type);
  info.append(name, meta);
  card.append(ic, info);
  if (url) {
    const dl = document.createElement("a");
    dl.className = "file-download icon-button small";
    dl.href = url;
    dl.download = a.name;
    dl.rel = "noopener";
    dl.setAttribute("aria-label", "Download " + a.name);
    dl.title = "Download";
    dl.appendChild(icon("download"));
    card.appendChild(dl);
  }
  return card;
}

// --- the lightbox --------------------------------------------------------------------------------

/** Shows image attachment a full size over the page; Escape, a click or Close end it. */
function openLightbox(a, opener) {
  const dlg = $("lightbox");
  const img = $("lightbox-img");
  filesUI.opener = opener || document.activeElement;
  img.removeAttribute("src");
  img.width = a.width;
  img.height = a.height;
  img.alt = a.name;
  loadWhenAllowed(img, safeFileURL(a.url));
  $("lightbox-name").textContent = a.name;
  $("lightbox-meta").textContent = a.width + " × " + a.height + " · " + humanSize(a.size);
  const dl = $("lightbox-download");
  dl.href = safeFileURL(a.url);
  dl.download = a.name;
  dlg.setAttribute("aria-label", a.name);
  if (!dlg.open) dlg.showModal();
  $("lightbox-close").focus();
}

$("lightbox-close").addEventListener("click", () => $("lightbox").close());
$("lightbox").addEventListener("click", (ev) => {
  // A click anywhere but on the download link closes it, as the backdrop of a picture does.
  if (!(ev.target.closest && ev.target.closest("#lightbox-download"))) $("lightbox").close();
});
$("lightbox").addEventListener("close", () => {
  $("lightbox-img").removeAttribute("src"); // a large picture is not kept in memory for nothing
  delete $("lightbox-img").dataset.want;
  const o = filesUI.opener;
  filesUI.opener = null;
  if (o && o.isConnected) o.focus();
});

// --- credentials ---------------------------------------------------------------------------------

/**
 * The headers that say who uploads, as the WebSocket's hello does: a host app's token, or a
 * guest's name and key. A signed-in account needs none (its session cookie goes by itself).
 */
function fileAuthHeaders() {
  if (sessionToken) return { Authorization: "Bearer " + sessionToken };
  if (tokenMode || accountMode) return {};
  return { "X-Hubbub-Name": encodeURIComponent(me()), "X-Hubbub-Key": identityKey };
}

/**
 * Asks for the cookie that lets this page's <img> load the files of this page's origin after a
 * welcome, unless the one it has is for the same user and good for a while yet (a connection
 * that comes and goes must not make a new cookie, and a stored session, each time); a new
 * name is a new guest. The cookies of other origins are asked for when a file from one shows
 * up (fileSession).
 */
function startFileSession() {
  const who = JSON.stringify(fileAuthHeaders());
  for (const origin of Array.from(filesUI.sessions.keys())) {
    const c = filesUI.cookies.get(origin);
    if (!c || c.who !== who || Date.now() > c.until) {
      filesUI.cookies.delete(origin);
      filesUI.sessions.delete(origin);
    }
  }
  fileSession(location.href);
  retryBrokenPictures();
}

/**
 * Loads again the pictures that failed to load, on a welcome: one that came into view while
 * the connection was down (the server restarting, the network gone) failed, and so did its one
 * retry, and nothing else would ask for it again.
 */
function retryBrokenPictures() {
  for (const img of document.querySelectorAll(".attachment-image.broken img")) {
    const want = img.dataset.want;
    if (!want) continue;
    img.removeAttribute("src");
    loadWhenAllowed(img, want);
  }
}

/** The files cookie of the origin of url: asked for once per welcome, a promise that settles. */
function fileSession(url) {
  let origin = location.origin;
  try {
    origin = new URL(url, location.href).origin;
  } catch (e) {
    /* a bad URL loads nothing anyway */
  }
  let p = filesUI.sessions.get(origin);
  if (!p) {
    p = askFileSession(origin);
    filesUI.sessions.set(origin, p);
  }
  return p;
}

/**
 * POST /files/session on origin, with the credentials the page holds, which turns them into a
 * cookie for /files/ (an image cannot send headers). The page's own server answers 404 (or 405)
 * when it takes no files, and the page then offers none.
 */
async function askFileSession(origin) {
  const own = origin === location.origin;
  const headers = fileAuthHeaders();
  try {
    const res = await fetch((own ? "" : origin) + "/files/session", {
      method: "POST",
      credentials: own ? "same-origin" : "include",
      headers,
    });
    if (own) setFilesAvailable(res.status !== 404 && res.status !== 405);
    if (res.ok) {
      const body = await res.json().catch(() => null);
      const expires = body && Date.parse(body.expires);
      // Asked again on the welcome after it is within 5 minutes of its end (1 hour if unsaid).
      const until = (Number.isFinite(expires) ? expires : Date.now() + 3600e3) - 300e3;
      filesUI.cookies.set(origin, { who: JSON.stringify(headers), until, made: Date.now() });
      return;
    }
    if (res.status !== 404 && res.status !== 405) console.warn("hubbub: POST " + origin + "/files/session answered " + res.status + ": pictures may not load");
  } catch (e) {
    console.warn("hubbub: POST " + origin + "/files/session failed: " + e);
  }
  // Not made: the next welcome asks again (pictures shown meanwhile do not).
}

/**
 * Sets img's src to url once the files cookie of url's origin is there. A picture refused
 * once may have met a cookie the server no longer knows (its data was replaced, the session
 * revoked): the cookie is asked for again, at most every 30 seconds, and the picture once more.
 */
function loadWhenAllowed(img, url) {
  if (!url) return;
  img.dataset.want = url;
  delete img.dataset.retried;
  fileSession(url).then(() => {
    // The lightbox may show another picture by now.
    if (img.dataset.want === url) img.src = url;
  });
  if (img.dataset.watched) return;
  img.dataset.watched = "1";
  img.addEventListener("error", () => {
    const want = img.dataset.want;
    if (!want || img.dataset.retried) return;
    img.dataset.retried = "1";
    let origin = location.origin;
    try {
      origin = new URL(want, location.href).origin;
    } catch (e) {
      return;
    }
    const c = filesUI.cookies.get(origin);
    if (c && Date.now() - c.made > 30e3) {
      filesUI.cookies.delete(origin);
      filesUI.sessions.delete(origin);
    }
    fileSession(want).then(() => {
      if (img.dataset.want !== want) return;
      img.removeAttribute("src");
      img.src = want;
    });
  });
}

function setFilesAvailable(on) {
  filesUI.available = on;
  $("attach").hidden = !on;
}

/** What the page says when a file is offered to a server that takes no uploads. */
const UPLOADS_OFF = "Uploads are off on this server";

/**
 * Turns uploads off (the server said so) or on again (a later welcome without uploads_off).
 * Off, the attach button stays where it was but is disabled, its title saying why; a click on
 * it, a drop or a pasted screenshot says it in the banner instead of trying.
 */
function setUploadsOff(off) {
  filesUI.uploadsOff = off;
  const b = $("attach");
  b.classList.toggle("off", off);
  if (off) {
    b.setAttribute("aria-disabled", "true"); // still focusable, so that its title is read
    b.title = UPLOADS_OFF;
    b.setAttribute("aria-label", "Attach files: " + UPLOADS_OFF.toLowerCase());
  } else {
    b.removeAttribute("aria-disabled");
    b.title = "Attach files (or drop them here, or paste a screenshot)";
    b.setAttribute("aria-label", "Attach files");
  }
}

// --- uploads -------------------------------------------------------------------------------------

/** The files waiting in room's composer. */
function draftsOf(room) {
  let list = filesUI.drafts.get(room);
  if (!list) {
    list = [];
    filesUI.drafts.set(room, list);
  }
  return list;
}

/** Starts uploading files (a FileList or an array of File) for the composer of room. */
function addFiles(room, files) {
  files = Array.from(files || []).filter((f) => f instanceof Blob);
  if (!files.length) return;
  if (!filesUI.available) {
    showNotice("This server does not take files.");
    return;
  }
  if (filesUI.uploadsOff) {
    showNotice(UPLOADS_OFF + ": files cannot be shared.");
    return;
  }
  const list = draftsOf(room);
  const most = (client.limits && client.limits.max_attachments) || FILES_LIMITS.attachments;
  const space = Math.max(0, most - list.length);
  if (files.length > space) {
    showNotice("A message carries " + most + " files at most: " + (space ? "only the first " + space + " were added." : "none was added."));
    files = files.slice(0, space);
  }
  for (const file of files) {
    const d = {
      key: "u" + ++filesUI.nextKey,
      room,
      file,
      name: file.name || defaultFileName(file.type),
      size: file.size,
      state: "uploading",
      loaded: 0,
      xhr: null,
      att: null,
      error: "",
    };
    list.push(d);
    upload(d);
  }
  renderDrafts();
}

/** A name for a file that has none (a pasted screenshot): "pasted-2026-12-03-0912.png". */
function defaultFileName(type) {
  const ext = { "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp" }[type] || "";
  const d = new Date();
  const p = (n) => String(n).padStart(2, "0");
  return "pasted-" + d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "-" + p(d.getHours()) + p(d.getMinutes()) + p(d.getSeconds()) + ext;
}

/** Sends draft d's bytes to POST /upload, following its progress; the answer settles it. */
function upload(d) {
  d.state = "uploading";
  d.loaded = 0;
  d.error = "";
  if (activeUploads() >= FILES_LIMITS.uploadsAtOnce) {
    d.queued = true; // startQueued sends it when another upload ends
    return;
  }
  d.queued = false;
  const xhr = new XMLHttpRequest();
  d.xhr = xhr;
  xhr.open("POST", "/upload?name=" + encodeURIComponent(d.name));
  const headers = fileAuthHeaders();
  for (const k of Object.keys(headers)) xhr.setRequestHeader(k, headers[k]);
  xhr.responseType = "text";
  xhr.upload.addEventListener("progress", (ev) => {
    if (!ev.lengthComputable) return;
    d.loaded = ev.loaded;
    paintDraftProgress(d);
  });
  xhr.addEventListener("load", () => {
    d.xhr = null;
    startQueued();
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (e) {
      body = null;
    }
    const att = body && heldAttachments([body])[0];
    if (xhr.status >= 200 && xhr.status < 300 && att) {
      d.state = "done";
      d.att = att;
      d.loaded = d.size;
    } else {
      // A server older than welcome's uploads_off says it only now: the button says it next.
      if (xhr.status === 403 && body && body.code === "disabled") setUploadsOff(true);
      uploadFailed(d, uploadError(xhr.status, body), xhr.status === 429 || xhr.status >= 500);
    }
    renderDrafts();
  });
  xhr.addEventListener("error", () => {
    d.xhr = null;
    startQueued();
    uploadFailed(d, "the connection to the server failed", true);
    renderDrafts();
  });
  xhr.addEventListener("abort", () => {
    d.xhr = null; // cancelled: removeDraft has taken it out already
    startQueued();
  });
  xhr.send(d.file);
}

/** How many uploads are under way, in every room's composer. */
function activeUploads() {
  let n = 0;
  for (const list of filesUI.drafts.values()) n += list.filter((d) => d.xhr).length;
  return n;
}

/** Starts the waiting uploads, oldest first, as far as FILES_LIMITS.uploadsAtOnce allows. */
function startQueued() {
  for (const list of filesUI.drafts.values()) {
    for (const d of list) {
      if (activeUploads() >= FILES_LIMITS.uploadsAtOnce) break;
      if (d.queued && d.state === "uploading" && !d.xhr) upload(d);
    }
  }
  renderDrafts();
}

/**
 * Marks d failed and says why, in the banner too: an upload never fails in silence. retry says
 * whether trying again may help (a lost connection, a busy server; not a file too large).
 */
function uploadFailed(d, why, retry) {
  d.state = "failed";
  d.error = why;
  d.retry = !!retry;
  showNotice("“" + d.name + "” was not uploaded: " + why + ".");
}

/** Why the server refused an upload, in words, from its status and error body. */
function uploadError(status, body) {
  const said = body && (typeof body.message === "string" ? body.message : body.error && typeof body.error.message === "string" ? body.error.message : typeof body.error === "string" ? body.error : "");
  const msg = String(said || "").replace(/\.$/, "");
  switch (status) {
    case 413:
      return msg || "the file is too large, or your storage quota is full";
    case 401:
    case 403:
      return msg || "you are not signed in (reload the page)";
    case 415:
    case 422:
      return msg || "the server refused this file";
    case 429:
      return msg || "too many uploads: wait a moment and retry";
    case 0:
      return "the connection to the server failed";
  }
  return msg || "the server answered " + status;
}

/**
 * Takes draft d out of its composer, cancelling its upload if it is under way, or deleting it
 * from the server if it was uploaded: an upload no message carries would otherwise count
 * against the quota for a day. A failed delete is left to the server's collector.
 */
function removeDraft(d) {
  const list = draftsOf(d.room);
  const i = list.indexOf(d);
  if (i >= 0) list.splice(i, 1);
  if (d.xhr) d.xhr.abort();
  d.xhr = null;
  if (d.state === "done" && d.att) {
    fetch("/files/" + encodeURIComponent(d.att.id) + "/" + encodeURIComponent(d.att.name), {
      method: "DELETE",
      credentials: "same-origin",
      headers: fileAuthHeaders(),
    }).catch(() => {});
  }
  renderDrafts();
}

/** Uploads failed draft d again. */
function retryDraft(d) {
  upload(d);
  renderDrafts();
}

/**
 * What the composer of room can send: the uploaded files (attachments), how many are still
 * uploading, and how many failed.
 */
function draftState(room) {
  const list = draftsOf(room);
  return {
    ready: list.filter((d) => d.state === "done").map((d) => d.att),
    uploading: list.filter((d) => d.state === "uploading").length,
    failed: list.filter((d) => d.state === "failed").length,
  };
}

/** Empties the composer of room of the files just sent (those that failed stay, with Retry). */
function clearSentDrafts(room) {
  filesUI.drafts.set(room, draftsOf(room).filter((d) => d.state !== "done"));
  renderDrafts();
}

/** Draws the files waiting in the composer of the room in view, as chips. */
function renderDrafts() {
  guardUnload();
  const box = $("drafts");
  const list = ui.active ? draftsOf(ui.active) : [];
  const had = box.contains(document.activeElement);
  box.textContent = "";
  box.hidden = !list.length;
  for (const d of list) box.appendChild(draftChip(d));
  if (had && !box.contains(document.activeElement)) $("composer-input").focus();
}

/** One chip: a picture or a file icon, the name, the size or the progress, and its buttons. */
function draftChip(d) {
  const li = document.createElement("li");
  li.className = "draft " + d.state;
  li.dataset.key = d.key;
  li.dataset.state = d.state;
  if (d.state === "done" && isInlineImage(d.att)) {
    const img = document.createElement("img");
    img.className = "draft-thumb";
    img.alt = "";
    img.width = 36;
    img.height = 36;
    loadWhenAllowed(img, safeFileURL(d.att.thumb && d.att.thumb_url ? d.att.thumb_url : d.att.url));
    li.appendChild(img);
  } else {
    const ic = icon(d.file.type && d.file.type.startsWith("image/") ? "image" : "file");
    ic.classList.add("draft-icon");
    li.appendChild(ic);
  }
  const info = document.createElement("div");
  info.className = "draft-info";
  const name = document.createElement("span");
  name.className = "draft-name";
  name.textContent = d.name;
  name.title = d.name;
  const meta = document.createElement("span");
  meta.className = "draft-meta";
  info.append(name, meta);
  li.appendChild(info);
  if (d.state === "uploading") {
    const bar = document.createElement("progress");
    bar.className = "draft-progress";
    bar.max = 1;
    bar.setAttribute("aria-label", "Uploading " + d.name);
    info.appendChild(bar);
  }
  if (d.state === "failed" && d.retry) {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "link-button draft-retry";
    retry.textContent = "Retry";
    retry.setAttribute("aria-label", "Retry uploading " + d.name);
    retry.addEventListener("click", () => retryDraft(d));
    li.appendChild(retry);
  }
  const x = document.createElement("button");
  x.type = "button";
  x.className = "icon-button small draft-remove";
  const label = d.state === "uploading" ? "Cancel uploading " + d.name : "Remove " + d.name;
  x.setAttribute("aria-label", label);
  x.title = d.state === "uploading" ? "Cancel the upload" : "Remove";
  x.textContent = "✕";
  x.addEventListener("click", () => removeDraft(d));
  li.appendChild(x);
  d.el = li;
  paintDraftProgress(d);
  return li;
}

/** Updates a chip's line under the name: its progress while uploading, else its size or error. */
function paintDraftProgress(d) {
  const li = d.el;
  if (!li) return;
  const meta = li.querySelector(".draft-meta");
  if (d.state === "uploading" && d.queued) {
    meta.textContent = "Waiting to upload… " + humanSize(d.size);
  } else if (d.state === "uploading") {
    const pct = d.size > 0 ? Math.min(100, Math.floor((d.loaded / d.size) * 100)) : 0;
    // Every byte sent, the server still reads, checks and stores them (and makes a thumbnail).
    meta.textContent = pct === 100 ? "Finishing… " + humanSize(d.size) : "Uploading… " + pct + "% of " + humanSize(d.size);
    const bar = li.querySelector("progress");
    if (bar) {
      bar.value = d.size > 0 ? d.loaded / d.size : 0;
      bar.setAttribute("aria-valuetext", pct + "%");
    }
  } else if (d.state === "failed") {
    meta.textContent = "Not uploaded: " + d.error;
  } else {
    meta.textContent = humanSize(d.att ? d.att.size : d.size);
  }
}

// Leaving the page while a file uploads would lose it without a word: the browser asks first.
// The listener is there only while an upload is under way, so an idle page stays eligible for
// the back/forward cache.
function guardUnload() {
  const busy = Array.from(filesUI.drafts.values()).some((list) => list.some((d) => d.state === "uploading"));
  if (busy === filesUI.guarded) return;
  filesUI.guarded = busy;
  if (busy) window.addEventListener("beforeunload", askBeforeUnload);
  else window.removeEventListener("beforeunload", askBeforeUnload);
}

function askBeforeUnload(ev) {
  ev.preventDefault();
  ev.returnValue = ""; // older browsers ask only when this is set
}

// --- where files come from: the attach button, a drop, a paste ----------------------------------

$("attach").addEventListener("click", () => {
  if (filesUI.uploadsOff) showNotice(UPLOADS_OFF + ": files cannot be shared.");
  else $("attach-input").click();
});
$("attach-input").addEventListener("change", (ev) => {
  addFiles(ui.active, ev.target.files);
  ev.target.value = ""; // the same file may be chosen again
  $("composer-input").focus();
});

/** Whether a drag carries files (not text or a link dragged from the page). */
function dragHasFiles(ev) {
  return !!(ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes("Files"));
}

/** Whether the room in view takes files now (it has a composer: we are in it). */
function canDropHere() {
  return filesUI.available && !filesUI.uploadsOff && !$("composer").hidden;
}

/** What the drop zone says over a room that takes no files now. */
function cannotDropText() {
  return filesUI.available && filesUI.uploadsOff ? UPLOADS_OFF : "You cannot share files here";
}

$("main").addEventListener("dragenter", (ev) => {
  if (!dragHasFiles(ev)) return;
  ev.preventDefault();
  filesUI.dragDepth++;
  $("drop-zone").hidden = false;
  $("drop-zone-text").textContent = canDropHere() ? "Drop to share in " + roomLabel(ui.active) : cannotDropText();
});
$("main").addEventListener("dragover", (ev) => {
  if (!dragHasFiles(ev)) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = canDropHere() ? "copy" : "none";
});
$("main").addEventListener("dragleave", (ev) => {
  if (!dragHasFiles(ev)) return;
  filesUI.dragDepth = Math.max(0, filesUI.dragDepth - 1);
  if (!filesUI.dragDepth) $("drop-zone").hidden = true;
});
$("main").addEventListener("drop", (ev) => {
  if (!dragHasFiles(ev)) return;
  ev.preventDefault();
  filesUI.dragDepth = 0;
  $("drop-zone").hidden = true;
  if (!canDropHere()) {
    if (!filesUI.available) showNotice("This server does not take files.");
    else if (filesUI.uploadsOff) showNotice(UPLOADS_OFF + ": files cannot be shared.");
    else showNotice("You are not in " + roomLabel(ui.active) + ": files cannot be shared here.");
    return;
  }
  addFiles(ui.active, ev.dataTransfer.files);
  $("composer-input").focus();
});

// A pasted screenshot (an image on the clipboard) becomes an attachment. A clipboard that holds
// text too (a copy from a document or a spreadsheet, which adds a picture of it) pastes its text.
$("composer-input").addEventListener("paste", (ev) => {
  const dt = ev.clipboardData;
  if (!dt || !filesUI.available) return;
  const files = Array.from(dt.files || []);
  if (!files.length || Array.from(dt.types || []).includes("text/plain")) return;
  ev.preventDefault();
  addFiles(ui.active, files);
});

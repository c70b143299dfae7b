// page.js — the page's furniture, independent of chat: $, storage, the notice banner, and the
// drawers that hold the room and member lists on narrow screens.
"use strict";

const $ = (id) => document.getElementById(id);

// --- storage -------------------------------------------------------------------------------------
// localStorage can be missing or full (private modes, quotas); the page must still work, only
// forgetting more on reload.

const saved = {
  get(k) {
    try {
      return localStorage.getItem("hubbub." + k);
    } catch (e) {
      return null;
    }
  },
  set(k, v) {
    try {
      localStorage.setItem("hubbub." + k, v);
    } catch (e) {
      /* not persisted; fine */
    }
  },
  json(k, fallback) {
    try {
      const v = JSON.parse(saved.get(k));
      return v === null ? fallback : v;
    } catch (e) {
      return fallback;
    }
  },
};

// sessionStorage lives as long as the browser tab (reloads included) and is never sent anywhere:
// the place for what must survive a reload but not outlive the tab, such as a sign-in token.
const sessionSaved = {
  get(k) {
    try {
      return sessionStorage.getItem("hubbub." + k);
    } catch (e) {
      return null;
    }
  },
  set(k, v) {
    try {
      sessionStorage.setItem("hubbub." + k, v);
    } catch (e) {
      /* not kept; a reload forgets it */
    }
  },
};

// --- notices -------------------------------------------------------------------------------------

let noticeTimer = 0;

/**
 * Shows a message in the alert banner (announced by screen readers) for a few seconds.
 * opts.kind "info" shows it as news rather than as a problem; opts.action {label, run} adds a
 * button (an Undo, say), which also closes the banner.
 */
function showNotice(text, opts = {}) {
  const notice = $("notice");
  $("notice-text").textContent = text;
  notice.dataset.kind = opts.kind || "problem";
  const old = notice.querySelector(".notice-action");
  if (old) old.remove();
  if (opts.action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "notice-action";
    b.textContent = opts.action.label;
    b.addEventListener("click", () => {
      notice.hidden = true;
      opts.action.run();
    });
    $("notice-close").before(b);
  }
  notice.hidden = false;
  clearTimeout(noticeTimer);
  // An offer to undo stays a little longer: it has to be read, then reached.
  noticeTimer = setTimeout(() => (notice.hidden = true), opts.action ? 12000 : 8000);
}

// --- drawers (narrow screens) --------------------------------------------------------------------

/** Opens or closes the room ("sidebar") or member ("members") drawer; only one is open at a time. */
function toggleDrawer(id, open) {
  const drawer = $(id);
  const toggle = $(id === "sidebar" ? "rooms-toggle" : "members-toggle");
  open = open === undefined ? !drawer.classList.contains("open") : open;
  if (open) closeDrawers();
  drawer.classList.toggle("open", open);
  toggle.setAttribute("aria-expanded", String(open));
  $("backdrop").hidden = !open;
  if (open) {
    // Focus moves into the drawer, to its first control shown or, for the member list, the list
    // itself. A hidden control (the member list's Invite, outside private rooms) takes no focus:
    // the focus stayed on the toggle, under the open drawer.
    const first = Array.from(drawer.querySelectorAll("a, button, input")).find((e) => e.getClientRects().length > 0);
    (first || drawer).focus();
  }
}

/** Closes any open drawer, returning focus to its button if it was inside. */
function closeDrawers() {
  for (const id of ["sidebar", "members"]) {
    const drawer = $(id);
    if (!drawer.classList.contains("open")) continue;
    drawer.classList.remove("open");
    const toggle = $(id === "sidebar" ? "rooms-toggle" : "members-toggle");
    toggle.setAttribute("aria-expanded", "false");
    if (drawer.contains(document.activeElement)) toggle.focus();
  }
  $("backdrop").hidden = true;
}

$("skip-to-composer").addEventListener("click", () => ($("composer").hidden ? $("rejoin") : $("composer-input")).focus());
$("notice-close").addEventListener("click", () => ($("notice").hidden = true));
$("rooms-toggle").addEventListener("click", () => toggleDrawer("sidebar"));
$("members-toggle").addEventListener("click", () => toggleDrawer("members"));
$("backdrop").addEventListener("click", closeDrawers);
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") closeDrawers();
});
// An open drawer covers the page under its backdrop: the focus moving out of it onto the page
// (Tab past its last control, Shift+Tab before its first) closes it, instead of leaving the focus
// on a control nobody can see. Dialogs and menus opened from a drawer are outside the page.
document.addEventListener("focusin", (ev) => {
  const open = ["sidebar", "members"].map($).filter((d) => d.classList.contains("open"));
  if (open.length && $("app").contains(ev.target) && !open.some((d) => d.contains(ev.target))) closeDrawers();
});

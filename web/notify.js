// notify.js — what notifies me of a room while I am away (docs/protocol.md, Notifications): the
// bell in the room's header opens a menu of the three levels — all messages, mentions and direct
// messages (the server's default), nothing — with the room's current one checked, asked of the
// server each time the menu opens (another device may have changed it). Choosing one sends
// notify with it; the server's answer checks it and says so in the banner.
"use strict";

/** Words for each level, in the banner. */
const NOTIFY_SAYS = {
  all: "every message",
  mention: "mentions and direct messages",
  nothing: "nothing",
};

const notifyMenu = {
  room: "", // the room the open menu is about
  asking: "", // the id of the question the menu waits for ("" for none)
  setting: new Map(), // the ids of choices sent → their room, for the banner
  levels: new Map(), // room → the level last heard from the server
};

/** Checks level's item in the menu (none when level is unknown). */
function checkNotifyLevel(level) {
  for (const item of $("notify-menu").querySelectorAll("[role=menuitemradio]")) {
    item.setAttribute("aria-checked", String(item.dataset.level === level));
  }
}

/** Opens the notification menu of the room in view under the bell, and asks the server for its level. */
function openNotifyMenu() {
  const room = ui.active;
  if (!room) return;
  const menu = $("notify-menu");
  notifyMenu.room = room;
  $("notify-menu-title").textContent = "While I am away, notify me of " + roomLabel(room) + ":";
  checkNotifyLevel(notifyMenu.levels.get(room) || "");
  notifyMenu.asking = client.notifyLevel(room, "");
  menu.hidden = false;
  const button = $("notify-open");
  button.setAttribute("aria-expanded", "true");
  const at = button.getBoundingClientRect();
  const w = menu.offsetWidth;
  menu.style.left = Math.max(8, Math.min(at.right - w, innerWidth - w - 8)) + "px";
  menu.style.top = at.bottom + 4 + "px";
  const checked = menu.querySelector('[aria-checked="true"]');
  (checked || menu.querySelector("[role=menuitemradio]")).focus();
}

/** Closes the menu; with refocus, the focus goes back to the bell. */
function closeNotifyMenu(refocus) {
  const menu = $("notify-menu");
  if (menu.hidden) return;
  menu.hidden = true;
  notifyMenu.asking = "";
  $("notify-open").removeAttribute("aria-expanded");
  if (refocus) $("notify-open").focus();
}

/** The server's answer to a question or a choice: the level now, or why it refused. */
function onNotifyLevel(d) {
  const chosen = notifyMenu.setting.get(d.id);
  notifyMenu.setting.delete(d.id);
  if (d.error) {
    if (chosen || d.id === notifyMenu.asking) {
      showNotice("Notifications of " + roomLabel(d.room || notifyMenu.room) + " could not be " + (chosen ? "changed" : "read") + ": " + d.error.message);
    }
    return;
  }
  notifyMenu.levels.set(d.room, d.level);
  if (!$("notify-menu").hidden && d.room === notifyMenu.room) checkNotifyLevel(d.level);
  if (chosen) showNotice("While you are away, " + roomLabel(d.room) + " notifies you of " + (NOTIFY_SAYS[d.level] || d.level) + ".", { kind: "info" });
}

/** Sends the level the person chose for the menu's room. */
function chooseNotifyLevel(level) {
  const room = notifyMenu.room;
  closeNotifyMenu(true);
  const id = client.notifyLevel(room, level);
  if (!id) {
    showNotice("Not connected: try again when the status says Live.");
    return;
  }
  notifyMenu.setting.set(id, room);
}

$("notify-open").addEventListener("click", (ev) => {
  ev.stopPropagation(); // the document's click closes menus
  if ($("notify-menu").hidden) openNotifyMenu();
  else closeNotifyMenu(false);
});

document.addEventListener("click", (ev) => {
  if (!$("notify-menu").contains(ev.target)) closeNotifyMenu(false);
});

$("notify-menu").addEventListener("click", (ev) => {
  const item = ev.target.closest("[role=menuitemradio]");
  if (item) chooseNotifyLevel(item.dataset.level);
});

$("notify-menu").addEventListener("keydown", (ev) => {
  const items = Array.from($("notify-menu").querySelectorAll("[role=menuitemradio]"));
  const i = items.indexOf(document.activeElement);
  if (ev.key === "Escape") {
    ev.preventDefault();
    ev.stopPropagation();
    closeNotifyMenu(true);
  } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    items[(i + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length].focus();
  } else if (ev.key === "Tab") {
    closeNotifyMenu(true);
  }
});

client.addEventListener("notify-level", (ev) => onNotifyLevel(ev.detail));

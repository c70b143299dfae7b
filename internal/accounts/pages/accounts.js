// accounts.js — the little the sign-in pages need a script for (the server's
// Content-Security-Policy forbids inline script):
//   - an admin's new invite link gets this page's origin in front of its path;
//   - the invite page takes the code from the link's fragment (/invite#CODE), which the browser
//     never sends to the server, drops it from the address bar, and puts the focus on the name;
//   - a page a form's post answered (a refused password change, on /account/password) puts its
//     own address in the address bar, so that a reload or a bookmark finds the page, not a
//     path only posted to;
//   - the account page's guest form takes the name and key this browser chats under from the
//     chat page's storage (hubbub.name, hubbub.key), so the guest keeps its name and history;
//   - the chat's "Change name" of a signed-in account opens /account#new-name: the name is
//     selected there, to be typed over.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const path = document.body.dataset.path;
  if (path && location.pathname !== path) history.replaceState(null, "", path);
  const code = document.querySelector("input[data-from-hash]");
  if (code && location.hash.length > 1) {
    code.value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname);
    // The code is filled in: the first thing to type is the name (a keyboard had to Tab past
    // the code, which nothing had focused).
    const name = document.getElementById("name");
    if (name && !name.value) name.focus();
  }
  // An invite link is rendered as a path: the browser knows the address people reach it at.
  const link = document.querySelector("input[data-link]");
  if (link && link.value.startsWith("/")) link.value = location.origin + link.value;
  const newName = document.getElementById("new-name");
  if (newName && location.hash === "#new-name") {
    newName.focus();
    newName.select();
  }
  const guest = document.querySelector("form[data-guest]");
  if (guest) {
    let key = null;
    let name = null;
    try {
      key = localStorage.getItem("hubbub.key");
      name = localStorage.getItem("hubbub.name");
    } catch (e) {
      /* no storage: no guest to convert */
    }
    if (key) {
      guest.elements.key.value = key;
      if (name && !guest.elements.name.value) guest.elements.name.value = name;
    } else {
      document.getElementById("guest-help").textContent =
        "This browser holds no guest name: chat once first, or sign in to an account.";
      guest.querySelector("button").disabled = true;
    }
  }
});

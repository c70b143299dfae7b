// The original chat page of gorilla/websocket's example, kept for text-protocol clients: the first
// line you send is your name, every later one is broadcast as "name: text". Unlike the original it
// connects to the host that served it (wss: under https) and never inserts text as HTML.
"use strict";
window.addEventListener("load", function () {
  var conn;
  var msg = document.getElementById("msg");
  var log = document.getElementById("log");

  function appendLog(item) {
    var doScroll = log.scrollTop > log.scrollHeight - log.clientHeight - 1;
    log.appendChild(item);
    if (doScroll) {
      log.scrollTop = log.scrollHeight - log.clientHeight;
    }
  }

  function notice(text) {
    var item = document.createElement("div");
    item.className = "notice";
    item.textContent = text;
    appendLog(item);
  }

  document.getElementById("form").addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (!conn || !msg.value) {
      return;
    }
    conn.send(msg.value);
    msg.value = "";
  });

  if (!window.WebSocket) {
    notice("Your browser does not support WebSockets.");
    return;
  }
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  conn = new WebSocket(scheme + location.host + "/ws");
  conn.onclose = function () {
    notice("Connection closed.");
  };
  conn.onmessage = function (evt) {
    var lines = evt.data.split("\n");
    for (var i = 0; i < lines.length; i++) {
      var item = document.createElement("div");
      item.textContent = lines[i];
      appendLog(item);
    }
  };
});

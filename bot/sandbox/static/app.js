// The sandbox chat page: polls the emulator's chats and renders them like Telegram does.
"use strict";

const $ = (id) => document.getElementById(id);
let current = null;        // user id of the open student chat; null = the admin's chat
let lastRendered = "";
let currentStatus = "active";

async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

function post(path, body) {
  return api(path, {method: "POST", headers: {"Content-Type": "application/json"},
                    body: JSON.stringify(body)});
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function renderMessage(m) {
  const item = document.createElement("div");
  item.className = "message " + (m.from_bot ? "bot" : "me") + (m.deleted ? " deleted" : "");
  item.dataset.id = m.id;
  if (m.file) {
    if (m.kind === "photo") {
      const img = document.createElement("img");
      img.src = m.file.url;
      img.alt = "фото";
      item.appendChild(img);
    } else {
      const link = document.createElement("a");
      link.href = m.file.url;
      link.textContent = "📄 " + (m.file.name || "файл");
      link.className = "document";
      link.download = m.file.name || "file";
      item.appendChild(link);
    }
  }
  const text = document.createElement("div");
  text.className = "text";
  text.innerHTML = m.html;  // Telegram HTML rendered by the server from text + entities
  text.querySelectorAll(".tg-spoiler, tg-spoiler").forEach((s) =>
    s.addEventListener("click", () => s.classList.add("shown")));
  item.appendChild(text);
  const meta = document.createElement("div");
  meta.className = "meta";
  const time = new Date(m.date * 1000).toLocaleTimeString("ru-RU", {hour: "2-digit", minute: "2-digit"});
  meta.textContent = (m.deleted ? "удалено · " : "") + (m.edited ? "изменено · " : "") + time;
  item.appendChild(meta);
  if (m.buttons.length && !m.deleted) {
    const keyboard = document.createElement("div");
    keyboard.className = "keyboard";
    for (const row of m.buttons) {
      const line = document.createElement("div");
      line.className = "row";
      for (const b of row) {
        const button = document.createElement(b.url ? "a" : "button");
        button.textContent = b.text;
        if (b.url) { button.href = b.url; button.target = "_blank"; button.className = "url"; }
        else if (current === null) button.addEventListener("click", () => press(m.id, b.data));
        else button.disabled = true;
        line.appendChild(button);
      }
      keyboard.appendChild(line);
    }
    item.appendChild(keyboard);
  }
  return item;
}

async function refresh() {
  const data = await api("/sandbox/api/state" + (current ? "?chat=" + current : ""));
  const snapshot = JSON.stringify(data.chat);
  if (snapshot !== lastRendered) {
    lastRendered = snapshot;
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    box.replaceChildren(...data.chat.messages.map(renderMessage));
    if (atBottom) box.scrollTop = box.scrollHeight;
  }
  currentStatus = data.chat.status;
  const who = data.chat.user;
  $("chat-title").textContent = current === null ? "Чат с ботом" :
    `${who.name}${who.username ? " · @" + who.username : ""} · ${who.id}` +
    (currentStatus === "blocked" ? " · заблокировал бота" : "");
  $("fault-block").textContent = currentStatus === "blocked" ? "Студент разблокирует бота" :
    "Студент блокирует бота";
  renderFigures(data.stats);
  const language = data.language === "en" ? "en" : "ru";
  document.querySelector(`input[name=language][value=${language}]`).checked = true;
}

function renderFigures(stats) {
  const rows = [["Отправлено", stats.sends_ok], ["Сообщений/с", stats.rate_per_second],
                ["Ответов 429", stats.too_many_requests], ["Ответов 403", stats.forbidden],
                ["Заблокировали бота", stats.blocked_users], ["Нарушений лимита", stats.breaches]];
  $("figures").replaceChildren(...rows.flatMap(([name, value]) => {
    const dt = document.createElement("dt"); dt.textContent = name;
    const dd = document.createElement("dd"); dd.textContent = value;
    return [dt, dd];
  }));
}

async function press(messageId, data) {
  try {
    const result = await post("/sandbox/api/press", {message_id: messageId, data});
    if (result.answer && result.answer.text) toast(result.answer.text);
  } catch (error) { toast("Не вышло: " + error.message); }
  await refresh();
}

function openChat(userId) {
  current = userId;
  lastRendered = "";
  document.querySelectorAll(".chat-link").forEach((b) =>
    b.classList.toggle("active", String(b.dataset.chat) === String(userId ?? "")));
  $("composer").hidden = userId !== null;
  $("readonly-note").hidden = userId === null;
  $("fault-block").disabled = userId === null;
  refresh();
}

$("admin-chat").addEventListener("click", () => openChat(null));

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("text").value = "";
  await post("/sandbox/api/send", {text}).catch((e) => toast(e.message));
  await refresh();
});

$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});

$("file").addEventListener("change", async () => {
  const chosen = $("file").files[0];
  if (!chosen) return;
  const form = new FormData();
  form.append("file", chosen);
  form.append("kind", chosen.type.startsWith("image/") ? "photo" : "document");
  form.append("caption", $("text").value.trim());
  $("text").value = "";
  $("file").value = "";
  await api("/sandbox/api/upload", {method: "POST", body: form}).catch((e) => toast(e.message));
  await refresh();
});

let searchTimer = null;
$("people-search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("people-search").value.trim();
    const data = q ? await api("/sandbox/api/people?q=" + encodeURIComponent(q)) : {people: []};
    $("people").replaceChildren(...data.people.map((p) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.className = "chat-link";
      button.dataset.chat = p.id;
      button.textContent = `${p.name || "без имени"}${p.username ? " · @" + p.username : ""}`;
      button.addEventListener("click", () => openChat(p.id));
      li.appendChild(button);
      return li;
    }));
  }, 250);
});

document.querySelectorAll("input[name=language]").forEach((radio) =>
  radio.addEventListener("change", () => post("/sandbox/api/language", {language: radio.value})));

$("fault-5xx").addEventListener("change", (e) =>
  post("/sandbox/api/fault", {server_error_rate: e.target.checked ? 0.3 : 0}));
$("fault-slow").addEventListener("change", (e) =>
  post("/sandbox/api/fault", {latency: e.target.checked ? 0.5 : 0}));
$("fault-block").addEventListener("click", async () => {
  if (current === null) return;
  await post("/sandbox/api/fault", {block: current, on: currentStatus !== "blocked"});
  await refresh();
});

openChat(null);
setInterval(() => refresh().catch(() => {}), 800);

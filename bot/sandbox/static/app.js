// The sandbox chat page: polls the emulator's chats and renders them like Telegram does; the
// composer sends text with Telegram's entities (UTF-16 offsets, which is how JavaScript counts
// string length too), photos, videos, GIFs and documents.
"use strict";

const $ = (id) => document.getElementById(id);
const box = $("messages");
const editor = $("text");
let current = null;        // user id of the open student chat; null = the admin's chat
let lastRendered = "";
let currentStatus = "active";
let botUsername = "";
let stick = true;          // the list follows new messages while the reader is at the bottom
let unseen = 0;            // messages that arrived while the reader was scrolled up

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
  const note = $("toast");
  note.textContent = text;
  note.hidden = false;
  clearTimeout(note.timer);
  note.timer = setTimeout(() => { note.hidden = true; }, 4000);
}

// ---- the message list: scrolls by itself, sticks to the bottom -------------------------

function atBottom() {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

function showJump() {
  $("jump").hidden = stick;
  $("jump-count").textContent = unseen ? String(unseen) : "";
}

function toBottom() {
  box.scrollTop = box.scrollHeight;
  stick = true;
  unseen = 0;
  showJump();
}

box.addEventListener("scroll", () => {
  stick = atBottom();
  if (stick) unseen = 0;
  showJump();
});
$("jump").addEventListener("click", toBottom);
// a taller composer, a turned phone or a resized window keep the newest message in view
new ResizeObserver(() => { if (stick) box.scrollTop = box.scrollHeight; }).observe(box);

function followMedia(element) {  // a picture that loads later makes the list taller
  element.addEventListener(element.tagName === "VIDEO" ? "loadedmetadata" : "load", () => {
    if (stick) box.scrollTop = box.scrollHeight;
  });
}

function renderMedia(m, item) {
  const mime = m.file.mime || "";
  const isVideo = m.kind === "video" || (m.kind === "animation" && !mime.startsWith("image/"));
  if (isVideo) {
    const video = document.createElement("video");
    video.src = m.file.url;
    video.preload = "metadata";
    video.playsInline = true;
    if (m.kind === "animation") { video.autoplay = video.loop = video.muted = true; }
    else video.controls = true;
    video.title = m.file.name || "видео";
    followMedia(video);
    item.appendChild(video);
  } else if (m.kind === "photo" || m.kind === "animation") {
    const img = document.createElement("img");
    img.src = m.file.url;
    img.alt = m.kind === "photo" ? "фото" : "GIF";
    followMedia(img);
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

function renderMessage(m) {
  const item = document.createElement("div");
  item.className = "message " + (m.from_bot ? "bot" : "me") + (m.deleted ? " deleted" : "");
  item.dataset.id = m.id;
  if (m.file) renderMedia(m, item);
  const text = document.createElement("div");
  text.className = "text";
  text.innerHTML = m.html;  // Telegram HTML rendered by the server from text + entities
  text.querySelectorAll(".tg-spoiler, tg-spoiler").forEach((s) =>
    s.addEventListener("click", () => s.classList.add("shown")));
  text.querySelectorAll("a[href]").forEach((a) => { a.target = "_blank"; a.rel = "noopener"; });
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
        if (b.url) { button.href = b.url; button.target = "_blank"; button.rel = "noopener"; button.className = "url"; }
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

const renderedAs = new WeakMap();  // element -> the message JSON it shows

function renderChat(messages) {
  // Only new and changed messages are drawn again: pictures, videos and shown spoilers stay.
  const wasStuck = stick;
  let arrived = 0;
  const children = box.children;
  if ([...children].some((child, i) => !messages[i] || child.dataset.id !== String(messages[i].id))) {
    box.replaceChildren();
  }
  messages.forEach((m, i) => {
    const key = JSON.stringify(m);
    const child = children[i];
    if (child === undefined) {
      const item = renderMessage(m);
      renderedAs.set(item, key);
      box.appendChild(item);
      arrived += 1;
    } else if (renderedAs.get(child) !== key) {
      const item = renderMessage(m);
      renderedAs.set(item, key);
      child.replaceWith(item);
    }
  });
  if (wasStuck) toBottom();
  else { unseen += arrived; showJump(); }
}

async function refresh() {
  const data = await api("/sandbox/api/state" + (current ? "?chat=" + current : ""));
  botUsername = data.bot_username || botUsername;
  const snapshot = JSON.stringify(data.chat);
  if (snapshot !== lastRendered) {
    lastRendered = snapshot;
    renderChat(data.chat.messages);
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
  box.replaceChildren();
  stick = true;
  unseen = 0;
  showJump();
  document.querySelectorAll(".chat-link").forEach((b) =>
    b.classList.toggle("active", String(b.dataset.chat) === String(userId ?? "")));
  $("composer").hidden = userId !== null;
  $("readonly-note").hidden = userId === null;
  $("fault-block").disabled = userId === null;
  showSide(null);
  return refresh();
}

$("admin-chat").addEventListener("click", () => openChat(null));

// ---- links in the chat: the bot's own t.me links stay in the page --------------------------

const START_LINK = /^https?:\/\/(?:t\.me|telegram\.me)\/([A-Za-z0-9_]{3,64})\?start=([A-Za-z0-9_-]{1,64})$/i;
const USER_LINK = /^tg:\/\/user\?id=(\d{1,18})$/i;

function inPageLink(href) {
  const start = href.match(START_LINK);
  if (start && botUsername && start[1].toLowerCase() === botUsername.toLowerCase()) {
    return () => startBot(start[2]);
  }
  const user = href.match(USER_LINK);
  if (user) return () => lookAt(user[1]);
  return null;
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("#messages a[href]");
  if (!link || link.classList.contains("document")) return;
  const action = inPageLink(link.getAttribute("href"));
  if (action) {
    event.preventDefault();
    action();
  }
});

async function startBot(payload) {
  // What Telegram does with a link to the bot's start: the chat with the bot sends /start
  // <payload>. The bot's own links (a name on «Последние») open the person's card.
  if (current !== null) await openChat(null);
  stick = true;
  await post("/sandbox/api/send", {text: "/start " + payload}).catch((e) => toast(e.message));
  await refresh();
  const user = payload.match(/^u(\d{1,18})$/);
  if (user) await lookAt(user[1], false);
}

async function lookAt(userId, open = true) {
  // The person is listed under «Чаты студентов» on the left: one click looks into their chat.
  $("people-search").value = userId;
  await findPeople(userId);
  if (open) await openChat(Number(userId));
}

// ---- the composer: text with entities ------------------------------------------------------

const TAG_TYPES = {B: "bold", STRONG: "bold", I: "italic", EM: "italic", U: "underline",
                   INS: "underline", S: "strikethrough", STRIKE: "strikethrough",
                   DEL: "strikethrough", CODE: "code", PRE: "pre", "TG-SPOILER": "spoiler"};
const BLOCKS = /^(DIV|P|LI|BLOCKQUOTE|PRE|H[1-6])$/;

function typesOf(element) {
  const types = new Set();
  if (TAG_TYPES[element.tagName]) types.add(TAG_TYPES[element.tagName]);
  if (element.classList.contains("tg-spoiler")) types.add("spoiler");
  const style = element.style;
  if (style.fontWeight === "bold" || Number(style.fontWeight) >= 600) types.add("bold");
  if (style.fontStyle === "italic") types.add("italic");
  const decoration = style.textDecorationLine || style.textDecoration || "";
  if (decoration.includes("underline")) types.add("underline");
  if (decoration.includes("line-through")) types.add("strikethrough");
  return types;
}

function serialize(root) {
  // The editor's DOM -> text and entities; offsets are UTF-16 code units like Telegram's.
  let text = "";
  const entities = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { text += node.data.replace(/\u00a0/g, " "); return; }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.tagName === "BR") { text += "\n"; return; }
    const block = BLOCKS.test(node.tagName);
    if (block && text && !text.endsWith("\n")) text += "\n";
    const start = text.length;
    node.childNodes.forEach(walk);
    const length = text.length - start;
    if (length > 0) {
      for (const type of typesOf(node)) entities.push({type, offset: start, length});
      const href = node.tagName === "A" ? node.getAttribute("href") : null;
      if (href) entities.push({type: "text_link", offset: start, length, url: href});
    }
    if (block && node.nextSibling && !text.endsWith("\n")) text += "\n";
  };
  root.childNodes.forEach(walk);
  return {text, entities};
}

function cut(state, position, count) {
  // Remove `count` units at `position`, moving and shrinking the entities around it.
  const map = (x) => (x <= position ? x : x >= position + count ? x - count : position);
  state.text = state.text.slice(0, position) + state.text.slice(position + count);
  state.entities = state.entities.map((e) => {
    const start = map(e.offset);
    return {...e, offset: start, length: map(e.offset + e.length) - start};
  }).filter((e) => e.length > 0);
}

// Telegram's own markdown shortcuts, turned into entities when the message is sent
const MARKS = [["```", "pre"], ["**", "bold"], ["__", "italic"], ["~~", "strikethrough"],
               ["||", "spoiler"], ["`", "code"]];

function inCode(state, position) {
  return state.entities.some((e) => (e.type === "code" || e.type === "pre") &&
                             e.offset <= position && position < e.offset + e.length);
}

function applyMarkdown(state) {
  let from = 0;
  for (;;) {
    let best = null;
    for (const [mark, type] of MARKS) {
      let open = state.text.indexOf(mark, from);
      while (open !== -1) {
        const close = state.text.indexOf(mark, open + mark.length + 1);
        if (close === -1) break;
        const inner = state.text.slice(open + mark.length, close);
        if (!inCode(state, open) && inner.trim() && (type === "pre" || !inner.includes("\n"))) {
          if (best === null || open < best.open) best = {open, close, mark, type};
          break;
        }
        open = state.text.indexOf(mark, open + 1);
      }
    }
    if (best === null) return;
    cut(state, best.close, best.mark.length);
    cut(state, best.open, best.mark.length);
    const length = best.close - best.open - best.mark.length;
    let offset = best.open;
    let size = length;
    if (best.type === "pre" && state.text[offset] === "\n") { cut(state, offset, 1); size -= 1; }
    state.entities.push({type: best.type, offset, length: size});
    from = best.type === "pre" || best.type === "code" ? offset + size : offset;
  }
}

function tidy(state) {
  // Trim the text as Telegram does, then merge touching entities of one kind.
  const lead = state.text.length - state.text.trimStart().length;
  if (lead) cut(state, 0, lead);
  const end = state.text.trimEnd().length;
  if (end < state.text.length) cut(state, end, state.text.length - end);
  const sorted = state.entities.slice().sort((a, b) =>
    a.type.localeCompare(b.type) || (a.url || "").localeCompare(b.url || "") || a.offset - b.offset);
  const merged = [];
  for (const e of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.type === e.type && (last.url || "") === (e.url || "") &&
        e.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, e.offset + e.length - last.offset);
    } else merged.push({...e});
  }
  state.entities = merged.sort((a, b) => a.offset - b.offset || b.length - a.length);
}

function compose() {
  const state = serialize(editor);
  applyMarkdown(state);
  tidy(state);
  return state;
}

function clearEditor() {
  editor.replaceChildren();
  updateToolbar();
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const {text, entities} = compose();
  if (!text) return;
  clearEditor();
  stick = true;  // what you send, you see
  await post("/sandbox/api/send", {text, entities}).catch((e) => toast(e.message));
  await refresh();
});

// ---- formatting: toolbar and Telegram's shortcuts ------------------------------------------

const COMMANDS = {bold: "bold", italic: "italic", underline: "underline",
                  strikethrough: "strikeThrough"};
const WRAPS = {code: ["CODE", ""], spoiler: ["SPAN", "tg-spoiler"]};
let savedRange = null;

function editorRange() {
  const selection = document.getSelection();
  if (!selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  return editor.contains(range.commonAncestorContainer) ? range : null;
}

function enclosing(node, test) {
  for (let n = node; n && n !== editor; n = n.parentNode) {
    if (n.nodeType === Node.ELEMENT_NODE && test(n)) return n;
  }
  return null;
}

function wrapTest([tag, className]) {
  return (n) => n.tagName === tag && (!className || n.classList.contains(className));
}

function select(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

function toggleWrap(type) {
  const range = editorRange();
  if (!range) return;
  const found = enclosing(range.commonAncestorContainer, wrapTest(WRAPS[type]));
  if (found) {  // pressed again inside: take the format off
    const parent = found.parentNode;
    while (found.firstChild) parent.insertBefore(found.firstChild, found);
    found.remove();
    return;
  }
  if (range.collapsed) { toast("Выделите текст, который нужно оформить"); return; }
  const wrapper = document.createElement(WRAPS[type][0]);
  if (WRAPS[type][1]) wrapper.className = WRAPS[type][1];
  wrapper.appendChild(range.extractContents());
  range.insertNode(wrapper);
  select(wrapper);
}

function normalUrl(raw) {
  const url = raw.trim();
  if (!url) return null;
  if (/^(https?|tg):\/\//i.test(url)) return url;
  if (/^[\w-]+(\.[\w-]+)+([/?#]\S*)?$/.test(url)) return "https://" + url;
  return null;
}

function startLink() {
  const range = editorRange();
  if (!range) return;
  const link = enclosing(range.commonAncestorContainer, (n) => n.tagName === "A");
  if (link) {
    select(link);
    document.execCommand("unlink");
    return;
  }
  if (range.collapsed) { toast("Выделите текст, на который поставить ссылку"); return; }
  savedRange = range.cloneRange();
  $("link-box").hidden = false;
  $("link-url").value = "";
  $("link-url").focus();
}

function finishLink(apply) {
  $("link-box").hidden = true;
  if (!savedRange) return;
  const selection = document.getSelection();
  editor.focus();
  selection.removeAllRanges();
  selection.addRange(savedRange);
  savedRange = null;
  if (!apply) return;
  const url = normalUrl($("link-url").value);
  if (url) document.execCommand("createLink", false, url);
  else toast("Нужен адрес вида https://example.com");
  updateToolbar();
}

$("link-url").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); finishLink(true); }
  if (event.key === "Escape") { event.preventDefault(); finishLink(false); }
});

function format(type) {
  if (!editorRange()) {
    editor.focus();
    if (!editorRange()) return;
  }
  if (COMMANDS[type]) document.execCommand(COMMANDS[type]);
  else if (WRAPS[type]) toggleWrap(type);
  else if (type === "text_link") startLink();
  updateToolbar();
}

function updateToolbar() {
  const range = editorRange();
  document.querySelectorAll("#toolbar button").forEach((button) => {
    const type = button.dataset.format;
    let on = false;
    if (range) {
      if (COMMANDS[type]) on = document.queryCommandState(COMMANDS[type]);
      else if (WRAPS[type]) on = !!enclosing(range.commonAncestorContainer, wrapTest(WRAPS[type]));
      else on = !!enclosing(range.commonAncestorContainer, (n) => n.tagName === "A");
    }
    button.classList.toggle("on", on);
    button.setAttribute("aria-pressed", String(on));
  });
}

document.querySelectorAll("#toolbar button").forEach((button) => {
  button.addEventListener("mousedown", (event) => event.preventDefault());  // keep the selection
  button.addEventListener("click", () => format(button.dataset.format));
});
document.addEventListener("selectionchange", updateToolbar);

const SHORTCUTS = {b: "bold", i: "italic", u: "underline", k: "text_link",
                   "shift+x": "strikethrough", "shift+m": "code", "shift+p": "spoiler"};

editor.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
    return;
  }
  if (event.ctrlKey || event.metaKey) {
    const type = SHORTCUTS[(event.shiftKey ? "shift+" : "") + event.key.toLowerCase()];
    if (type) { event.preventDefault(); format(type); }
  }
});

editor.addEventListener("input", () => {
  if (!editor.textContent && !editor.querySelector("img")) editor.replaceChildren();  // placeholder back
});

editor.addEventListener("paste", (event) => {  // pasted text comes without foreign styles
  event.preventDefault();
  document.execCommand("insertText", false, event.clipboardData.getData("text/plain"));
});

// ---- files: photo, video, GIF, document -----------------------------------------------------

function fileKind(file) {
  if (file.type === "image/gif") return "animation";
  if (file.type.startsWith("image/")) return "photo";
  if (file.type.startsWith("video/")) return "video";
  return "document";
}

async function upload(chosen) {
  const {text, entities} = compose();
  const form = new FormData();
  form.append("file", chosen);
  form.append("kind", fileKind(chosen));
  form.append("caption", text);
  form.append("caption_entities", JSON.stringify(entities));
  clearEditor();
  stick = true;
  await api("/sandbox/api/upload", {method: "POST", body: form}).catch((e) => toast(e.message));
  await refresh();
}

$("file").addEventListener("change", async () => {
  const chosen = $("file").files[0];
  $("file").value = "";
  if (chosen) await upload(chosen);
});

const main = document.querySelector("main");
main.addEventListener("dragover", (event) => {
  if (current === null && event.dataTransfer.types.includes("Files")) event.preventDefault();
});
main.addEventListener("drop", (event) => {
  if (current !== null || !event.dataTransfer.files.length) return;
  event.preventDefault();
  upload(event.dataTransfer.files[0]);
});

// ---- students' chats --------------------------------------------------------------------------

async function findPeople(q) {
  const data = q ? await api("/sandbox/api/people?q=" + encodeURIComponent(q)) : {people: []};
  $("people").replaceChildren(...data.people.map((p) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.className = "chat-link";
    button.dataset.chat = p.id;
    button.classList.toggle("active", current === p.id);
    button.textContent = `${p.name || "без имени"}${p.username ? " · @" + p.username : ""}`;
    button.addEventListener("click", () => openChat(p.id));
    li.appendChild(button);
    return li;
  }));
}

let searchTimer = null;
$("people-search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => findPeople($("people-search").value.trim()), 250);
});

// ---- side panels: beside the chat on a wide screen, behind ☰ and 📊 on a phone --------------

function showSide(which) {
  document.body.classList.toggle("show-chats", which === "chats");
  document.body.classList.toggle("show-panel", which === "panel");
}

$("toggle-chats").addEventListener("click", () =>
  showSide(document.body.classList.contains("show-chats") ? null : "chats"));
$("toggle-panel").addEventListener("click", () =>
  showSide(document.body.classList.contains("show-panel") ? null : "panel"));
$("scrim").addEventListener("click", () => showSide(null));
document.addEventListener("keydown", (event) => { if (event.key === "Escape") showSide(null); });

// ---- the emulator's switches ----------------------------------------------------------------

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

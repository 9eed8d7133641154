// postmortem review: the transcript, the narrative and the report of one incident.
// Plain JavaScript, no build step, nothing loaded from elsewhere. Every record's
// text is put into the page as text (textContent), never as HTML.
"use strict";

const S = {
  records: [], byRef: new Map(), kinds: {}, incident: null,
  draft: {markers: [], questions: []}, revision: null, stale: false, keeping: Promise.resolve(),
  picked: new Set(), cursor: -1, opened: new Set(), view: null, saving: null,
};
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);  // strings become text nodes
  }
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

async function api(method, path, body) {
  const options = {method, credentials: "same-origin"};
  if (body !== undefined) {
    options.headers = {"Content-Type": "application/json"};
    options.body = JSON.stringify(body);
  }
  const response = await fetch("api/" + path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error || `HTTP ${response.status}`);
    error.stale = response.status === 409;   // the draft changed elsewhere since this page loaded
    error.kept = data.kept;   // a save refused, its draft kept all the same: the revision the page is at
    throw error;
  }
  return data;
}

function status(text, error) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

// -- times ------------------------------------------------------------------------

const ms = (iso) => Date.parse(iso.includes("T") ? iso : iso.replace(" ", "T") + "Z");
const clock = (iso) => iso.slice(5, 10) + " " + iso.slice(11, 19);          // "09-28 14:33:12"
const markerTime = (iso) => iso.slice(0, 10) + " " + iso.slice(11, 19);     // "2023-09-28 14:33:12"

function parseFilterTime(text, end) {
  const value = text.trim();
  if (!value) return null;
  const day = S.incident.start.slice(0, 10);
  const full = /^\d{1,2}:\d{2}$/.test(value) ? `${day} ${value.padStart(5, "0")}` : value;
  const time = ms(full.length === 10 ? full + " 00:00" : full);
  if (Number.isNaN(time)) return null;
  return end ? time + 59999 : time;   // until keeps the whole minute
}

// -- state ------------------------------------------------------------------------

function apply(state) {
  S.incident = state.incident;
  S.kinds = state.kinds;
  S.moments = state.moments;
  S.records = state.records;
  S.records.forEach((record, index) => { record.index = index; record.ms = ms(record.time); });
  S.byRef = new Map(S.records.map((record) => [record.ref, record]));
  S.draft = state.draft;
  S.revision = state.revision;
  $("title").textContent = `postmortem review: ${state.incident.id}`;
  document.title = `review: ${state.incident.id}`;
  $("questions").value = S.draft.questions.join("\n");
  fillSelects();
  renderAll();
  preview();
}

function renderAll() {
  renderTranscript();
  renderMarkers();
  renderGraph();
}

function citedBy() {
  const cited = new Map();
  for (const marker of S.draft.markers) {
    for (const ref of marker.evidence) {
      if (!cited.has(ref)) cited.set(ref, []);
      cited.get(ref).push(S.kinds[marker.kind] || marker.kind);
    }
  }
  return cited;
}

function changed() {
  S.draft.markers.sort((a, b) => ms(a.time) - ms(b.time));
  renderAll();
  if (S.stale) return staleCopy();   // nothing more is sent: the page shows what it holds, to copy
  clearTimeout(S.saving);
  status("keeping the draft…");
  S.saving = setTimeout(keepDraft, 250);
}

function keepDraft() {
  S.keeping = S.keeping.then(sendDraft);   // one at a time: each is based on the revision the last one got
}

async function sendDraft() {
  if (S.stale) return;
  try {
    ({revision: S.revision} = await api("PUT", "draft", {...S.draft, revision: S.revision}));
    status("draft kept (not yet in incident.toml)");
    await preview();
  } catch (err) {
    status(`not kept: ${err.message}`, true);
    if (err.stale) stale();
  }
}

async function preview() {
  try {
    const {html} = await api("GET", "preview");
    // markdown-it's HTML of the Markdown report, raw HTML off: the records' text is escaped there.
    $("report").innerHTML = html;
    const timeline = [...$("report").querySelectorAll("h2")].find((h) => h.textContent.trim() === "Timeline");
    if (timeline) $("report-pane").scrollTop = timeline.offsetTop - $("report-pane").offsetTop;  // what changed
  } catch (err) {
    $("report").textContent = `no preview: ${err.message}`;
  }
}

async function save() {
  clearTimeout(S.saving);
  await S.keeping;
  if (S.stale) return;
  try {
    const result = await api("POST", "save", {...S.draft, revision: S.revision});
    apply(result.state);
    status(`saved into ${result.saved}`);
  } catch (err) {
    status(`not saved: ${err.message}`, true);
    if (err.kept) S.revision = err.kept;
    if (err.stale) stale();
  }
}

// Another tab changed the draft: keep this page as it is (its text stays in its
// fields), send nothing more, and show all it holds as text to copy before reloading.
function stale() {
  S.stale = true;
  clearTimeout(S.saving);
  $("save").disabled = true;
  $("stale").hidden = false;
  staleCopy();
}

function staleCopy() {
  const lines = S.draft.markers.flatMap((m) => [
    `${m.time} ${S.kinds[m.kind] || m.kind}: ${m.summary}`,
    ...(m.notes ? [`  notes: ${m.notes.replaceAll("\n", "\n         ")}`] : []),
    ...(m.evidence.length ? [`  evidence: ${m.evidence.join(", ")}`] : [])]);
  const questions = S.draft.questions.filter((q) => q.trim());
  if (questions.length) lines.push("", "Questions for the review meeting:", ...questions);
  $("stale-copy").value = lines.join("\n");
}

// -- the transcript ---------------------------------------------------------------------

function fillSelects() {
  const fill = (select, values) => {
    const chosen = select.value;
    select.replaceChildren(select.options[0]);
    for (const value of values) select.append(el("option", {value}, value));
    select.value = values.includes(chosen) ? chosen : "";
  };
  const unique = (key) => [...new Set(S.records.map((r) => r[key]).filter(Boolean))].sort();
  fill($("f-source"), unique("source"));
  fill($("f-person"), unique("actor"));
  const kind = $("m-kind");
  if (!kind.options.length) {
    for (const [value, label] of Object.entries(S.kinds)) kind.append(el("option", {value}, label));
    kind.value = "diagnosis";
  }
}

function visible(record) {
  const source = $("f-source").value, person = $("f-person").value;
  const text = $("f-text").value.trim().toLowerCase();
  const since = parseFilterTime($("f-since").value, false), until = parseFilterTime($("f-until").value, true);
  if (source && record.source !== source) return false;
  if (person && record.actor !== person) return false;
  if (text && !(record.text + " " + record.actor).toLowerCase().includes(text)) return false;
  if (since !== null && record.ms < since) return false;
  if (until !== null && record.ms > until) return false;
  return $("f-folded").checked || !record.folded;
}

function recordRow(record, cited) {
  const picked = S.picked.has(record.ref);
  const badges = [
    ...record.moments.map((m) => el("span", {class: "badge moment"}, m)),
    record.alert ? el("span", {class: "badge alert"}, record.kind) : null,
    ...(cited.get(record.ref) || []).map((kind) => el("span", {class: "badge cited"}, kind)),
  ];
  const link = record.url ? el("a", {href: record.url, target: "_blank", rel: "noopener noreferrer"}, "link") : null;
  const row = el("li", {
    class: `rec${record.folded ? " folded" : ""}${picked ? " picked" : ""}${S.cursor === record.index ? " cursor" : ""}`,
    id: `r${record.index}`, "data-ref": record.ref, tabindex: "-1",
  },
  el("input", {type: "checkbox", class: "pick", "aria-label": "pick as evidence", checked: picked ? "" : null}),
  el("time", {datetime: record.time}, clock(record.time)),
  el("span", {class: "src", title: record.source}, record.source),
  el("span", {class: "body"}, record.actor ? el("span", {class: "actor"}, record.actor) : null,
    record.text, " ", link, badges));
  row.addEventListener("click", (event) => {
    if (event.target.tagName === "A") return;
    event.preventDefault();
    S.cursor = record.index;
    togglePick(record.ref);
  });
  return row;
}

function foldGroup(rows, records) {
  const key = records[0].ref;
  const sources = [...new Set(records.map((r) => r.source))].join(", ");
  const span = `${clock(records[0].time)}–${clock(records[records.length - 1].time).slice(6)}`;
  const details = el("details", {open: S.opened.has(key) ? "" : null},
    el("summary", {}, `${records.length} folded message${records.length > 1 ? "s" : ""} in ${sources}, ${span}`),
    el("ol", {class: "folded-rows"}, rows));
  details.addEventListener("toggle", () => { details.open ? S.opened.add(key) : S.opened.delete(key); });
  return el("li", {class: "fold"}, details);
}

function filtering() {
  return ["f-source", "f-person", "f-text", "f-since", "f-until"].some((id) => $(id).value.trim());
}

function renderTranscript() {
  const cited = citedBy();
  const list = [], shown = S.records.filter(visible), flat = filtering();   // a search shows what it found
  let fold = [];
  const flush = () => {
    if (fold.length) list.push(foldGroup(fold.map((r) => recordRow(r, cited)), fold));
    fold = [];
  };
  for (const record of shown) {
    if (record.folded && !flat) { fold.push(record); continue; }
    flush();
    list.push(recordRow(record, cited));
  }
  flush();
  $("transcript").replaceChildren(...list);
  $("count").textContent = `${shown.length} of ${S.records.length} records`;
  $("picked").textContent = `${S.picked.size} picked`;
}

function togglePick(ref) {
  // only the row, its dot and the count change: re-drawing 5,000 records took 3 s a click
  const picked = !S.picked.has(ref);
  picked ? S.picked.add(ref) : S.picked.delete(ref);
  const record = S.byRef.get(ref);
  const row = record && $(`r${record.index}`);
  if (row) {
    row.classList.toggle("picked", picked);
    row.querySelector("input.pick").checked = picked;
    document.querySelectorAll("#transcript .rec.cursor").forEach((r) => r.classList.remove("cursor"));
    row.classList.add("cursor");
  }
  const dot = record && $("graph").querySelector(`circle[data-index="${record.index}"]`);
  if (dot) dot.classList.toggle("picked", picked);
  $("picked").textContent = `${S.picked.size} picked`;
}

function goTo(index) {
  const record = S.records[index];
  if (!record) return;
  S.cursor = index;
  if (!visible(record)) {   // show it: clear the filters that hide it
    for (const id of ["f-source", "f-person", "f-text", "f-since", "f-until"]) $(id).value = "";
    $("f-folded").checked = true;
  }
  if (record.folded) S.opened.add(foldStart(index));
  renderTranscript();
  const row = $(`r${index}`);
  row.scrollIntoView({block: "center"});
  row.classList.add("flash");
  setTimeout(() => row.classList.remove("flash"), 900);
}

function foldStart(index) {
  let start = index;
  while (start > 0 && S.records[start - 1].folded && visible(S.records[start - 1])) start--;
  return S.records[start].ref;
}

function moveCursor(step) {
  const rows = [...document.querySelectorAll("#transcript .rec")].filter((row) => row.checkVisibility());  // not the rows of a closed fold
  if (!rows.length) return;
  const at = rows.findIndex((row) => row.id === `r${S.cursor}`);
  const next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + step))];
  S.cursor = Number(next.id.slice(1));
  rows.forEach((row) => row.classList.toggle("cursor", row === next));
  next.scrollIntoView({block: "nearest"});
}

document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "j" || event.key === "ArrowDown") moveCursor(1);
  else if (event.key === "k" || event.key === "ArrowUp") moveCursor(-1);
  else if ((event.key === "x" || event.key === " ") && S.records[S.cursor]) togglePick(S.records[S.cursor].ref);
  else if (event.key === "/") $("f-text").focus();
  else return;
  event.preventDefault();
});

// -- the narrative ----------------------------------------------------------------------

function pickedInOrder() {
  return [...S.picked].filter((ref) => S.byRef.has(ref)).sort((a, b) => S.byRef.get(a).ms - S.byRef.get(b).ms);
}

function addMarker(event) {
  event.preventDefault();
  const evidence = pickedInOrder();
  const first = evidence.length ? S.byRef.get(evidence[0]).time : S.incident.start;
  S.draft.markers.push({kind: $("m-kind").value, time: markerTime(first), summary: $("m-summary").value.trim(),
                        evidence, notes: "", tags: []});
  $("m-summary").value = "";
  S.picked.clear();
  changed();
}

function evidenceItem(marker, ref) {
  const record = S.byRef.get(ref);
  const remove = el("button", {type: "button", title: "not evidence of this marker", "aria-label": "remove",
    onclick: () => { marker.evidence = marker.evidence.filter((r) => r !== ref); changed(); }}, "×");
  if (!record) return el("li", {class: "missing"}, `no such record any more: ${ref} `, remove);
  const text = (record.actor ? record.actor + ": " : "") + record.text;
  return el("li", {},
    el("a", {class: "go", onclick: () => goTo(record.index)}, `${clock(record.time)} ${record.source}`),
    ` ${text.length > 90 ? text.slice(0, 89) + "…" : text} `, remove);
}

function alsoMarks(marker) {
  // A record can be two key moments at once (the outage ends when it is resolved): say so, no second marker.
  const others = S.moments.filter((tag) => tag !== marker.kind);
  return el("div", {class: "also"}, "also marks:", others.map((tag) => {
    const box = el("input", {type: "checkbox", checked: marker.tags.includes(tag) ? "" : null, onchange: (e) => {
      marker.tags = e.target.checked ? [...marker.tags, tag] : marker.tags.filter((t) => t !== tag);
      changed();
    }});
    return el("label", {}, box, S.kinds[tag] || tag);
  }));
}

function markerCard(marker, index) {
  marker.tags = marker.tags || [];
  const kind = el("select", {"aria-label": "kind", onchange: (e) => { marker.kind = e.target.value; changed(); }},
    Object.entries(S.kinds).map(([value, label]) =>
      el("option", {value, selected: value === marker.kind ? "" : null}, label)));
  const time = el("input", {class: "time", value: marker.time, size: "16", "aria-label": "time (UTC)",
    onchange: (e) => { marker.time = e.target.value.trim(); changed(); }});
  // a textarea: a summary is a sentence, and a one-line box hid most of it
  const summary = el("textarea", {class: "summary", rows: "2", "aria-label": "summary",
    placeholder: "the line the Timeline shows", onchange: (e) => { marker.summary = e.target.value; changed(); }});
  summary.value = marker.summary;
  const notes = el("textarea", {rows: "1", placeholder: "notes", "aria-label": "notes",
    title: "the report shows them under the marker's Timeline line (a detection's: in Detection)",
    onchange: (e) => { marker.notes = e.target.value; changed(); }});
  notes.value = marker.notes;
  const addPicked = el("button", {type: "button", class: "small", title: "add the picked records as evidence",
    onclick: () => {
      marker.evidence = [...new Set([...marker.evidence, ...pickedInOrder()])];
      S.picked.clear();
      changed();
    }}, "+ picked");
  const remove = el("button", {type: "button", class: "small", title: "delete this marker", "aria-label": "delete",
    onclick: () => { S.draft.markers.splice(index, 1); changed(); }}, "×");
  return el("li", {class: "marker", "data-kind": marker.kind},
    el("div", {class: "row"}, kind, time, addPicked, remove), summary,
    el("ul", {}, marker.evidence.map((ref) => evidenceItem(marker, ref))),
    S.moments.includes(marker.kind) ? alsoMarks(marker) : null, notes);
}

function renderMarkers() {
  $("markers").replaceChildren(...S.draft.markers.map(markerCard));
}

// -- the picture: one lane per source on one time axis ------------------------------------

const LABEL_WIDTH = 150, LANE = 18, TOP = 14;

function span() {
  const times = S.records.map((r) => r.ms).concat(S.draft.markers.map((m) => ms(m.time)));
  if (!times.length) return [ms(S.incident.start), ms(S.incident.start) + 3600e3];
  const low = Math.min(...times), high = Math.max(...times), pad = Math.max((high - low) * 0.02, 60e3);
  return [low - pad, high + pad];
}

function outage() {
  const moments = S.records.filter((r) => r.moments.length).map((r) => [r.ms, r.moments])
    .concat(S.draft.markers.map((m) => [ms(m.time), [m.kind]]));
  const begins = moments.filter(([, m]) => m.some((x) => /OUTAGE BEGINS|outage-begins/.test(x))).map(([t]) => t);
  const ends = moments.filter(([, m]) => m.some((x) => /OUTAGE ENDS|outage-ends/.test(x))).map(([t]) => t);
  return begins.length ? [Math.min(...begins), ends.length ? Math.max(...ends) : null] : null;
}

function renderGraph() {
  const graph = $("graph");
  if (!S.view) S.view = span();
  const lanes = [...new Set(S.records.map((r) => r.source))];
  const width = graph.clientWidth || 1000, height = TOP + lanes.length * LANE + 16;
  graph.style.height = `${height}px`;
  graph.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const [t0, t1] = S.view;
  const x = (t) => LABEL_WIDTH + (t - t0) / (t1 - t0) * (width - LABEL_WIDTH - 10);
  const nodes = [];
  const down = outage();
  if (down) {
    const left = Math.max(LABEL_WIDTH, x(down[0])), right = Math.min(width, x(down[1] ?? t1));
    if (right > left) nodes.push(svg("rect", {class: "outage", x: left, y: TOP, width: right - left, height: lanes.length * LANE}));
  }
  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE + LANE / 2;
    nodes.push(svg("line", {class: "lane", x1: LABEL_WIDTH, x2: width, y1: y, y2: y}));
    const label = svg("text", {class: "lane-label", x: 4, y: y + 3});
    label.textContent = lane.length > 24 ? lane.slice(0, 23) + "…" : lane;
    nodes.push(label);
  });
  for (let i = 0; i <= 5; i++) {
    const t = t0 + (t1 - t0) * i / 5, tick = svg("text", {class: "tick", x: x(t) - 30, y: height - 3});
    tick.textContent = clock(new Date(t).toISOString()).slice(0, 11);
    nodes.push(tick);
  }
  let free = 0;   // where the next marker's label fits without covering the last one
  for (const marker of S.draft.markers) {
    const at = x(ms(marker.time));
    if (at < LABEL_WIDTH || at > width) continue;
    nodes.push(svg("line", {class: "marker-line", x1: at, x2: at, y1: TOP - 2, y2: TOP + lanes.length * LANE}));
    const name = S.kinds[marker.kind] || marker.kind;
    if (at < free) continue;
    const label = svg("text", {class: "marker-label", x: at + 2, y: TOP - 4});
    label.textContent = name;
    nodes.push(label);
    free = at + 6 * name.length + 8;
  }
  for (const record of S.records) {
    const at = x(record.ms);
    if (at < LABEL_WIDTH || at > width) continue;
    const kind = record.alert ? " alert" : record.folded ? " folded" : "";
    const dot = svg("circle", {class: `dot${kind}${S.picked.has(record.ref) ? " picked" : ""}`, cx: at,
      cy: TOP + lanes.indexOf(record.source) * LANE + LANE / 2, r: 4, "data-index": record.index});
    const title = svg("title");
    title.textContent = `${clock(record.time)} ${record.actor ? record.actor + ": " : ""}${record.text.slice(0, 200)}`;
    dot.append(title);
    nodes.push(dot);
  }
  graph.replaceChildren(...nodes);
  graph.timeAt = (px) => t0 + (px - LABEL_WIDTH) / (width - LABEL_WIDTH - 10) * (t1 - t0);
}

function zoom(factor, around) {
  const [t0, t1] = S.view, center = around ?? (t0 + t1) / 2;
  const full = span(), minimum = 60e3;
  let low = center - (center - t0) * factor, high = center + (t1 - center) * factor;
  if (high - low < minimum) return;
  if (high - low >= full[1] - full[0]) [low, high] = full;
  S.view = [low, high];
  renderGraph();
}

function graphEvents() {
  const graph = $("graph");
  let drag = null;
  const px = (event) => event.clientX - graph.getBoundingClientRect().left;
  graph.addEventListener("wheel", (event) => {
    event.preventDefault();
    zoom(event.deltaY < 0 ? 0.8 : 1.25, graph.timeAt(px(event)));
  }, {passive: false});
  graph.addEventListener("mousedown", (event) => { drag = {x: px(event), view: S.view, moved: false}; });
  graph.addEventListener("mousemove", (event) => {
    if (!drag) return;
    const shift = graph.timeAt(drag.x) - graph.timeAt(px(event));
    if (Math.abs(px(event) - drag.x) > 3) drag.moved = true;
    if (drag.moved) { S.view = [drag.view[0] + shift, drag.view[1] + shift]; renderGraph(); }
  });
  graph.addEventListener("mouseup", (event) => {
    const moved = drag && drag.moved;
    drag = null;
    if (moved) return;
    const index = event.target.dataset ? event.target.dataset.index : undefined;
    if (index !== undefined) return goTo(Number(index));
    const time = graph.timeAt(px(event));
    const nearest = S.records.reduce((best, r) => (!best || Math.abs(r.ms - time) < Math.abs(best.ms - time) ? r : best), null);
    if (nearest) goTo(nearest.index);
  });
  graph.addEventListener("mouseleave", () => { drag = null; });
  $("zoom-in").addEventListener("click", () => zoom(0.5));
  $("zoom-out").addEventListener("click", () => zoom(2));
  $("zoom-fit").addEventListener("click", () => { S.view = span(); renderGraph(); });
  window.addEventListener("resize", renderGraph);
}

// -- wiring -----------------------------------------------------------------------------

function wire() {
  for (const id of ["f-source", "f-person", "f-folded"]) $(id).addEventListener("change", renderTranscript);
  for (const id of ["f-text", "f-since", "f-until"]) $(id).addEventListener("input", renderTranscript);
  $("clear-picks").addEventListener("click", () => { S.picked.clear(); renderTranscript(); renderGraph(); });
  $("new-marker").addEventListener("submit", addMarker);
  $("questions").addEventListener("change", () => { S.draft.questions = $("questions").value.split("\n"); changed(); });
  $("save").addEventListener("click", save);
  $("reload").addEventListener("click", () => location.reload());
  graphEvents();
}

wire();
api("GET", "state").then(apply).catch((err) => status(`cannot load the incident: ${err.message}`, true));

// The backward-pass explorer.  The page holds Graphviz SVGs of the graph (every op,
// one box per step, and every op at slide size for presenter mode, each gradient's
// norm written beside the wire it crosses) and the walk as JSON.  This script only
// moves CSS classes over the SVGs (which wires and numbers the walk has reached) and
// fills the two panels.  Every name in the data
// is user text: it reaches the page through textContent or esc(), never raw.
"use strict";

const data = JSON.parse(document.getElementById("walk-data").textContent);
const walk = data.walk;                       // walk[k - 1] is the k-th step of the walk
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const state = {
  k: 0, view: document.body.dataset.detail, drawing: null, heat: false, timer: null,
  present: document.body.dataset.present === "true",
};
// The smallest graph text a fitted view allows, in CSS pixels (so browser zoom enlarges
// it): 12 px on a screen, 18 px in presenter mode; and the largest fitted zoom.
const READABLE = { screen: 12, present: 18 };
const MOST = { screen: 1.2, present: 3 };

// ---------------------------------------------------------------- the drawings

// The drawing a view is shown with: at slide size in presenter mode, if the page has it.
function drawingFor(view, present) {
  return present && `${view}-present` in data.drawings ? `${view}-present` : view;
}

function viewRoot(key = state.drawing) {
  return document.querySelector(`.view[data-drawing="${key}"]`);
}

function unitElement(key, uid) {
  if (uid === "box-elided") return viewRoot(key).querySelector('[data-box="elided"]');
  return uid ? document.getElementById(`${key}-u-${uid}`) : null;
}

// For each drawing: at which walk step each link is first crossed.
const crossedAt = {};
for (const key of Object.keys(data.drawings)) {
  crossedAt[key] = {};
  walk.forEach((step, i) => {
    for (const send of step.sends) {
      for (const lid of send.links[key]) {
        if (!(lid in crossedAt[key])) crossedAt[key][lid] = i + 1;
      }
    }
  });
}

// Measured once a drawing is on screen: its body (boxes, nodes and edges, without the
// title and margins around them) in canvas pixels, and its smallest text in canvas
// pixels at zoom 1.
const measured = {};
function measure(key) {
  if (measured[key]) return measured[key];
  const root = viewRoot(key), svg = root.querySelector("svg");
  const canvas = $("canvas").getBoundingClientRect();
  let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
  for (const el of root.querySelectorAll(".unit, .box, .link")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    left = Math.min(left, r.left); top = Math.min(top, r.top);
    right = Math.max(right, r.right); bottom = Math.max(bottom, r.bottom);
  }
  const perUnit = svg.getBoundingClientRect().width / pan.scale / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll("text")].map((t) => parseFloat(getComputedStyle(t).fontSize));
  const font = Math.min(...sizes);                     // in the SVG's own units
  measured[key] = {
    body: { x: (left - canvas.left) / pan.scale, y: (top - canvas.top) / pan.scale,
            width: (right - left) / pan.scale, height: (bottom - top) / pan.scale },
    font: font * perUnit, fontUnits: font,
  };
  return measured[key];
}

// ---------------------------------------------------------------- gradient numbers

// Each edge's gradient norm is in the drawing already, written beside the wire it
// crosses where the layout found it room (clear of every node, line and other number);
// the page shows it once the walk has crossed that wire.  {link id: its number}.
const numbersOf = {};
function numbers(key) {
  if (!numbersOf[key]) {
    numbersOf[key] = {};
    for (const el of viewRoot(key).querySelectorAll(".grad-label")) {
      numbersOf[key][el.dataset.link] = el;
    }
  }
  return numbersOf[key];
}

// ---------------------------------------------------------------- one step of the walk

function show(k) {
  state.k = Math.max(0, Math.min(walk.length, k));
  const key = state.drawing, root = viewRoot(), k_ = state.k;
  const step = walk[k_ - 1];
  const just = new Set(step ? step.sends.flatMap((send) => send.links[key]) : []);
  for (const g of root.querySelectorAll(".link")) {
    const at = crossedAt[key][g.dataset.link];
    g.classList.toggle("crossed", at !== undefined && at <= k_);
    g.classList.toggle("just", just.has(g.dataset.link));
  }
  for (const [lid, text] of Object.entries(numbers(key))) {
    const at = crossedAt[key][lid];
    text.classList.toggle("waiting", at === undefined || at > k_);
    text.classList.toggle("just", just.has(lid));
  }
  for (const el of root.querySelectorAll(".current")) el.classList.remove("current");
  const current = step ? unitElement(key, step.unit[key]) : null;
  if (current) {
    current.classList.add("current");
    keepInView(current);
  }
  $("slider").value = k_;
  $("counter").textContent = k_ === 0 ? `seed (0 of ${walk.length})`
    : `step ${k_} of ${walk.length}: ${step.name}`;
  document.body.dataset.step = k_;
  document.body.dataset.current = step ? step.unit[key] || "" : "";
  showRule(step);
  showShared(k_);
}

function showRule(step) {
  const body = $("rule-body");
  if (!step) {
    body.innerHTML = "<p>Seed: δ = ∂L/∂L = 1 at the root. Press → (or ▶) to take the " +
      "first step of the reverse walk.</p><p class=\"muted\">δ is the gradient arriving at " +
      "the node being processed, ∂L/∂(its output); at a_t it is the notes' δ_t = ∂L/∂a_t. " +
      "Each input gets its vector-Jacobian product of δ.</p>";
    return;
  }
  const where = step.t === null ? "" : ` at t = ${esc(step.t)}`;
  let html = `<p><b>${esc(step.name)}</b> <span class="muted">(op ${esc(step.op)}${where})</span></p>` +
    `<p>δ = ∂L/∂${esc(atom(step.short))}:</p><div class="formula">${esc(step.delta)}</div>`;
  if (step.sends.length === 0) html += '<p class="muted">no input needs a gradient.</p>';
  for (const send of step.sends) {
    html += `<p>to <b>${esc(send.to)}</b>: <span class="formula">${esc(send.vjp)}</span>` +
      (send.hint ? ` <span class="muted">(${esc(send.hint)})</span>` : "") + "</p>" +
      `<div class="formula">= ${esc(send.result)}</div>`;
  }
  body.innerHTML = html;
}

function atom(name) {
  return name.includes(" ") ? `(${name})` : name;
}

// ---------------------------------------------------------------- shared parameters

function buildShared() {
  const body = $("shared-body");
  if (data.steps.length === 0) $("shared").querySelector("h2").textContent = "parameters: one term per use";
  for (const p of data.params) {
    const box = document.createElement("div");
    box.className = "param";
    box.dataset.param = p.name;
    if (p.grad.numbers) box.dataset.grad = JSON.stringify(p.grad.numbers);
    const bars = p.terms.map((term) =>
      `<div class="bar" data-t="${esc(term.t)}" title="${esc(term.label)}: ${esc(term.text)}"` +
      (term.numbers ? ` data-numbers="${esc(JSON.stringify(term.numbers))}"` : "") + "></div>").join("");
    const first = p.terms.length ? p.terms[0].label : "";
    const last = p.terms.length ? p.terms[p.terms.length - 1].label : "";
    box.innerHTML = `<div class="param-head"><span class="param-name">${esc(p.name)}</span> ` +
      `${esc(p.shape)}<span class="what">: ‖term‖ for each ${data.steps.length ? "copy t" : "use"}</span></div>` +
      `<div class="bars">${bars}</div>` +
      `<div class="steps-axis"><span>${esc(first)}</span><span>${esc(last)}</span></div>` +
      '<div class="running"></div><div class="total"></div>';
    body.appendChild(box);
  }
}

function showShared(k) {
  const terms = data.steps.length ? "copies" : "uses";
  data.params.forEach((p, i) => {
    const box = $("shared-body").children[i];
    const biggest = Math.max(...p.terms.map((term) => term.norm), 1e-300);
    const latest = {};
    let running = 0, newest = null;
    for (const e of p.events) {
      if (e.k > k) break;
      latest[e.t] = e.term;
      running = e.sum;
      if (e.k === k) newest = e.t;
    }
    box.querySelectorAll(".bar").forEach((bar, j) => {
      const t = p.terms[j].t, value = latest[t];
      bar.style.height = value === undefined ? "0" : `${Math.max(2, 100 * value / biggest)}%`;
      bar.classList.toggle("empty", value === undefined);
      bar.classList.toggle("latest", newest !== null && String(newest) === String(t));
    });
    const arrived = Object.keys(latest).length, done = k === walk.length;
    box.querySelector(".running").textContent = state.present
      ? `Σ of ${arrived}/${p.terms.length}: ‖Σ‖ = ${fmt(running)}`
      : `running sum over ${arrived} of ${p.terms.length} ${terms}: ‖Σ‖ = ${fmt(running)}`;
    const total = box.querySelector(".total");
    total.classList.toggle("equal", done);
    if (state.present) {
      total.textContent = done ? `= ${p.name}.grad ✓` : `‖${p.name}.grad‖ = ${fmt(p.grad.norm)}`;
    } else {
      total.textContent = done
        ? `Σ term = ${p.name}.grad = ${p.grad.text}  (‖·‖ = ${fmt(p.grad.norm)}; ` +
          `max |Σ − .grad| = ${p.grad.difference.toExponential(1)}) ✓`
        : `${p.name}.grad (the sum at the end) has ‖·‖ = ${fmt(p.grad.norm)}`;
    }
  });
}

// ---------------------------------------------------------------- hover and tap

function tipFor(target) {
  const key = state.drawing;
  const unit = target.closest(".unit"), link = target.closest(".link");
  if (unit && data.info[key][unit.dataset.unit]) {
    return data.info[key][unit.dataset.unit].slice(0, 4).map((x) =>
      `<b>${esc(x.name)}</b><br>op: ${esc(x.op)}${x.t === null ? "" : ", t = " + esc(x.t)}` +
      `<br>shape: ${esc(x.shape)}<br>value: ${esc(x.value)}<br>gradient: ${esc(x.grad)}`).join("<hr>");
  }
  if (link && data.edges[key][link.dataset.link]) {
    return data.edges[key][link.dataset.link].slice(0, 4).map((x) =>
      `<b>${esc(x.from)} → ${esc(x.to)}</b><br>gradient sent back: ${esc(x.grad)}`).join("<hr>");
  }
  return null;
}

function showTip(event) {
  const text = tipFor(event.target);
  const tip = $("tip");
  if (!text) { tip.hidden = true; return; }
  tip.innerHTML = text;
  tip.hidden = false;
  tip.style.left = `${Math.max(0, Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 4))}px`;
  tip.style.top = `${Math.max(0, Math.min(event.clientY + 14, window.innerHeight - tip.offsetHeight - 4))}px`;
}

// ---------------------------------------------------------------- views, modes, heat, time step

function setView(view) {
  state.view = view;
  state.drawing = drawingFor(view, state.present);
  document.body.dataset.detail = view;
  document.body.dataset.drawing = state.drawing;
  document.body.dataset.present = state.present;
  for (const el of document.querySelectorAll(".view")) {
    el.classList.toggle("shown", el.dataset.drawing === state.drawing);
  }
  $("view").value = view;
  $("present").classList.toggle("on", state.present);
  applyHeat();
  fit("height");
  pickStep($("step-picker").value);
  show(state.k);
}

function togglePresent() {
  state.present = !state.present;
  setView(state.view);
}

function applyHeat() {
  for (const key of Object.keys(data.drawings)) {
    for (const [uid, colour] of Object.entries(data.heat[key])) {
      const el = unitElement(key, uid);
      const shape = el && el.querySelector("polygon, ellipse");
      if (shape) shape.style.fill = state.heat ? colour : "";
    }
  }
}

function pickStep(t) {
  for (const el of document.querySelectorAll(".box.picked")) el.classList.remove("picked");
  if (t === "") return;
  const name = data.hidden.includes(Number(t)) ? "elided" : t;
  const box = viewRoot().querySelector(`[data-box="${CSS.escape(name)}"]`);
  if (box) {
    box.classList.add("picked");
    keepInView(box);
  }
}

// ---------------------------------------------------------------- pan and zoom

const pan = { x: 0, y: 0, scale: 1 };

function applyPan() {
  $("canvas").style.transform = `translate(${pan.x}px, ${pan.y}px) scale(${pan.scale})`;
}

// "height": the graph's body as tall as the window (the view follows the walk
// sideways), but its text never below READABLE px and the zoom never above MOST;
// "all": the whole body in the window, however small.
function fit(mode) {
  const stage = $("stage").getBoundingClientRect(), { body, font } = measure(state.drawing);
  const tall = 0.97 * stage.height / body.height, wide = 0.97 * stage.width / body.width;
  const screen = state.present ? "present" : "screen";
  pan.scale = mode === "all" ? Math.min(tall, wide)
    : Math.max(READABLE[screen] / font, Math.min(tall, MOST[screen]));
  const w = pan.scale * body.width, h = pan.scale * body.height;
  pan.x = Math.max(0, (stage.width - w) / 2) - pan.scale * body.x;
  pan.y = Math.max(0, (stage.height - h) / 2) - pan.scale * body.y;
  applyPan();
  // the stage size it fitted (a small graph keeps the largest zoom, MOST, at any size)
  document.body.dataset.fitted = `${Math.round(stage.width)}x${Math.round(stage.height)}`;
}

// Zoom by `factor` around the point (x, y) of the stage (default: its middle).
function zoom(factor, x, y) {
  const r = $("stage").getBoundingClientRect();
  const mx = x === undefined ? r.width / 2 : x - r.left, my = y === undefined ? r.height / 2 : y - r.top;
  pan.x = mx - (mx - pan.x) * factor;
  pan.y = my - (my - pan.y) * factor;
  pan.scale *= factor;
  applyPan();
}

// Pan (along the axis where it is out of sight) until the element is in view.
function keepInView(el) {
  const stage = $("stage").getBoundingClientRect(), r = el.getBoundingClientRect();
  if (r.right > stage.right || r.left < stage.left) {
    pan.x += (stage.left + stage.width / 2) - (r.left + r.width / 2);
  }
  if (r.bottom > stage.bottom || r.top < stage.top) {
    pan.y += (stage.top + stage.height / 2) - (r.top + r.height / 2);
  }
  applyPan();
}

function setupPanZoom() {
  const stage = $("stage");
  stage.addEventListener("wheel", (event) => {
    event.preventDefault();
    zoom(Math.exp(-event.deltaY * 0.0015), event.clientX, event.clientY);
  }, { passive: false });
  let drag = null;
  stage.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX - pan.x, y: event.clientY - pan.y };
    stage.classList.add("dragging");
  });
  window.addEventListener("pointermove", (event) => {
    if (drag) { pan.x = event.clientX - drag.x; pan.y = event.clientY - drag.y; applyPan(); }
    else showTip(event);
  });
  window.addEventListener("pointerup", () => { drag = null; stage.classList.remove("dragging"); });
  stage.addEventListener("click", showTip);               // tap on a touch screen
  let pending = false;                  // a new window size (or browser zoom): fit again
  window.addEventListener("resize", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; fit("height"); show(state.k); });
  });
}

// ---------------------------------------------------------------- controls

function play() {
  if (state.timer) {
    clearInterval(state.timer);
    state.timer = null;
  } else {
    if (state.k === walk.length) show(0);
    state.timer = setInterval(() => {
      if (state.k >= walk.length) play(); else show(state.k + 1);
    }, 600);
  }
  $("play").textContent = state.timer ? "❚❚ pause" : "▶ play";
}

function setupControls() {
  $("slider").max = walk.length;
  $("first").onclick = () => show(0);
  $("prev").onclick = () => show(state.k - 1);
  $("next").onclick = () => show(state.k + 1);
  $("play").onclick = play;
  $("present").onclick = togglePresent;
  $("slider").oninput = () => show(Number($("slider").value));
  $("view").onchange = () => setView($("view").value);
  $("heat").onchange = () => { state.heat = $("heat").checked; applyHeat(); };
  $("fit").onclick = () => fit("all");
  if (!("cells" in data.drawings)) $("view").querySelector('[value="cells"]').remove();
  if (data.steps.length === 0) $("step-picker").parentElement.hidden = true;
  for (const t of data.steps) {
    const option = document.createElement("option");
    option.value = t;
    option.textContent = `t = ${t}` + (data.hidden.includes(t) ? " (not drawn)" : "");
    $("step-picker").appendChild(option);
  }
  $("step-picker").onchange = () => pickStep($("step-picker").value);
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "SELECT" || event.target === $("slider")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;   // the browser's own zoom
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (event.key in moves) show(state.k + moves[event.key]);
    else if (event.key === "Home") show(0);
    else if (event.key === "End") show(walk.length);
    else if (event.key === " ") play();
    else if (event.key === "p" || event.key === "P") togglePresent();
    else if (event.key === "+" || event.key === "=") zoom(1.25);
    else if (event.key === "-" || event.key === "_") zoom(1 / 1.25);
    else if (event.key === "0") { fit("height"); show(state.k); }
    else return;
    event.preventDefault();
  });
}

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function fmt(x) {
  return x === 0 || (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4) ? x.toPrecision(3) : x.toExponential(2);
}

setupControls();
setupPanZoom();
buildShared();
setView(state.view);
document.body.dataset.ready = "true";
window.explorerReadyMs = performance.now();

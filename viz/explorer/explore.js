// The backward-pass explorer.  The page holds the Graphviz SVG of the unrolled
// graph (two views: every op, one box per step) and the walk as JSON.  This
// script only moves CSS classes over the SVG and fills the two panels.
"use strict";

const data = JSON.parse(document.getElementById("walk-data").textContent);
const walk = data.walk;                       // walk[k - 1] is the k-th node visited
const $ = (id) => document.getElementById(id);
const state = { k: 0, view: document.body.dataset.detail, heat: false, timer: null };

// ---------------------------------------------------------------- the SVG, per view

function viewRoot(view) {
  return document.querySelector(`.view[data-view="${view}"]`);
}

function unitElement(view, uid) {
  if (uid === "box-elided") return viewRoot(view).querySelector('[data-box="elided"]');
  return uid ? document.getElementById(`${view}-u-${uid}`) : null;
}

// For each view: at which walk step each link is first crossed, and its label.
const crossedAt = {};
for (const view of ["ops", "cells"]) {
  crossedAt[view] = {};
  walk.forEach((step, i) => {
    for (const send of step.sends) {
      for (const lid of send.links[view]) {
        if (!(lid in crossedAt[view])) crossedAt[view][lid] = i + 1;
      }
    }
  });
}

// A small text on the middle of each link that gradient will cross: its norm.
function addGradientLabels(view) {
  for (const g of viewRoot(view).querySelectorAll(".link")) {
    const lid = g.dataset.link;
    const info = (data.edges[view][lid] || [])[0];
    const path = g.querySelector("path");
    if (!info || !path || g.dataset.labelled) continue;
    const [fromKind, toKind] = data.links[view][lid] || [];
    if (toKind === "chip") continue;  // a parameter's track: its label is on the last stretch
    // a link drawn in several segments is labelled once, on its last segment
    const segments = viewRoot(view).querySelectorAll(`[data-link="${CSS.escape(lid)}"]`);
    if (segments[segments.length - 1] !== g) continue;
    // a parameter's last stretch starts at its name, where neighbours are apart
    const along = fromKind === "chip" ? 0.3 : 0.5;
    const middle = path.getPointAtLength(path.getTotalLength() * along);
    const text = document.createElementNS("http://www.w3.org/2000/svg", "text");
    text.setAttribute("x", middle.x + 3);
    text.setAttribute("y", middle.y - 3);
    text.setAttribute("class", "grad-label");
    text.textContent = info.norm;
    text.style.display = "none";
    g.appendChild(text);
    g.dataset.labelled = "yes";
  }
}

// ---------------------------------------------------------------- one step of the walk

function show(k) {
  state.k = Math.max(0, Math.min(walk.length, k));
  const view = state.view, root = viewRoot(view), k_ = state.k;
  const step = walk[k_ - 1];
  const just = new Set(step ? step.sends.flatMap((send) => send.links[view]) : []);
  for (const g of root.querySelectorAll(".link")) {
    const at = crossedAt[view][g.dataset.link];
    const crossed = at !== undefined && at <= k_;
    g.classList.toggle("crossed", crossed);
    g.classList.toggle("just", just.has(g.dataset.link));
    const label = g.querySelector(".grad-label");
    if (label) label.style.display = crossed ? "" : "none";
  }
  for (const el of root.querySelectorAll(".current")) el.classList.remove("current");
  const current = step ? unitElement(view, step.unit[view]) : null;
  if (current) {
    current.classList.add("current");
    keepInView(current);
  }
  $("slider").value = k_;
  $("counter").textContent = k_ === 0 ? `seed (0 of ${walk.length})`
    : `step ${k_} of ${walk.length}: ${step.name}`;
  document.body.dataset.step = k_;
  document.body.dataset.current = step ? step.unit[view] || "" : "";
  showRule(step, k_);
  showShared(k_);
}

function showRule(step, k) {
  const body = $("rule-body");
  if (!step) {
    body.innerHTML = "<p>Seed: dL/dL = 1 at the root. Press → (or ▶) to take the first " +
      "step of the reverse walk: nodes are visited newest first.</p>";
    return;
  }
  const where = step.t === null ? "" : ` at t = ${step.t}`;
  let html = `<p><b>${esc(step.name)}</b> (op <code>${esc(step.op)}</code>${where})</p>` +
    `<p>incoming g = dL/d(output):</p><div class="formula">${esc(step.g)}</div>`;
  if (step.sends.length === 0) html += '<p class="muted">no input needs a gradient.</p>';
  for (const send of step.sends) {
    html += `<p>to <b>${esc(send.to)}</b>: vjp = <span class="formula">${esc(send.vjp)}</span></p>` +
      `<div class="formula">= ${esc(send.result)}</div>`;
  }
  body.innerHTML = html;
}

// ---------------------------------------------------------------- shared parameters

function buildShared() {
  const body = $("shared-body");
  for (const p of data.params) {
    const box = document.createElement("div");
    box.className = "param";
    box.dataset.param = p.name;
    if (p.grad.numbers) box.dataset.grad = JSON.stringify(p.grad.numbers);
    const bars = p.terms.map((term) =>
      `<div class="bar" data-t="${term.t}" title="t = ${term.t}: ${esc(term.text)}"` +
      (term.numbers ? ` data-numbers='${JSON.stringify(term.numbers)}'` : "") + "></div>").join("");
    const first = p.terms.length ? p.terms[0].t : "", last = p.terms.length ? p.terms[p.terms.length - 1].t : "";
    box.innerHTML = `<div><span class="param-name">${esc(p.name)}</span> ${esc(p.shape)}: ` +
      `‖term_t‖ for each copy t</div><div class="bars">${bars}</div>` +
      `<div class="steps-axis"><span>t = ${first}</span><span>t = ${last}</span></div>` +
      '<div class="running"></div><div class="total"></div>';
    body.appendChild(box);
  }
}

function showShared(k) {
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
    const arrived = Object.keys(latest).length;
    box.querySelector(".running").textContent =
      `running sum over ${arrived} of ${p.terms.length} copies: ‖Σ‖ = ${fmt(running)}`;
    const total = box.querySelector(".total");
    const done = k === walk.length;
    total.classList.toggle("equal", done);
    total.textContent = done
      ? `Σ_t term_t = ${p.name}.grad = ${p.grad.text}  (‖·‖ = ${fmt(p.grad.norm)}; ` +
        `max |Σ − .grad| = ${p.grad.difference.toExponential(1)}) ✓`
      : `${p.name}.grad (the sum at the end) has ‖·‖ = ${fmt(p.grad.norm)}`;
  });
}

// ---------------------------------------------------------------- hover and tap

function tipFor(target) {
  const view = state.view;
  const unit = target.closest(".unit"), link = target.closest(".link");
  if (unit && data.info[view][unit.dataset.unit]) {
    return data.info[view][unit.dataset.unit].slice(0, 4).map((x) =>
      `<b>${esc(x.name)}</b><br>op: ${esc(x.op)}${x.t === null ? "" : ", t = " + x.t}` +
      `<br>shape: ${esc(x.shape)}<br>value: ${esc(x.value)}<br>gradient: ${esc(x.grad)}`).join("<hr>");
  }
  if (link && data.edges[view][link.dataset.link]) {
    return data.edges[view][link.dataset.link].slice(0, 4).map((x) =>
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
  tip.style.left = `${Math.min(event.clientX + 14, window.innerWidth - 430)}px`;
  tip.style.top = `${Math.min(event.clientY + 14, window.innerHeight - tip.offsetHeight - 4)}px`;
}

// ---------------------------------------------------------------- views, heat, time step

function setView(view) {
  state.view = view;
  document.body.dataset.detail = view;
  $("view").value = view;
  addGradientLabels(view);
  applyHeat();
  fit("height");
  pickStep($("step-picker").value);
  show(state.k);
}

function applyHeat() {
  for (const view of ["ops", "cells"]) {
    for (const [uid, colour] of Object.entries(data.heat[view])) {
      const el = unitElement(view, uid);
      const shape = el && el.querySelector("polygon, ellipse");
      if (shape) shape.style.fill = state.heat ? colour : "";
    }
  }
}

function pickStep(t) {
  for (const el of document.querySelectorAll(".box.picked")) el.classList.remove("picked");
  if (t === "") return;
  const name = data.hidden.includes(Number(t)) ? "elided" : t;
  const box = viewRoot(state.view).querySelector(`[data-box="${name}"]`);
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

// "all": the whole graph in the window; "height": as tall as the window, so that the
// text stays readable, and the view follows the walk sideways.
function fit(mode) {
  const stage = $("stage").getBoundingClientRect(), svg = viewRoot(state.view).querySelector("svg");
  const w = svg.width.baseVal.value, h = svg.height.baseVal.value;
  pan.scale = mode === "all" ? Math.min(stage.width / w, stage.height / h, 1.5)
    : Math.min(stage.height / h, 1.2);
  pan.x = Math.max(0, (stage.width - pan.scale * w) / 2);
  pan.y = Math.max(0, (stage.height - pan.scale * h) / 2);
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
    const r = stage.getBoundingClientRect(), factor = Math.exp(-event.deltaY * 0.0015);
    const mx = event.clientX - r.left, my = event.clientY - r.top;
    pan.x = mx - (mx - pan.x) * factor;
    pan.y = my - (my - pan.y) * factor;
    pan.scale *= factor;
    applyPan();
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
  $("slider").oninput = () => show(Number($("slider").value));
  $("view").onchange = () => setView($("view").value);
  $("heat").onchange = () => { state.heat = $("heat").checked; applyHeat(); };
  $("fit").onclick = () => fit("all");
  for (const t of data.steps) {
    const option = document.createElement("option");
    option.value = t;
    option.textContent = `t = ${t}` + (data.hidden.includes(t) ? " (not drawn)" : "");
    $("step-picker").appendChild(option);
  }
  $("step-picker").onchange = () => pickStep($("step-picker").value);
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "SELECT" || event.target === $("slider")) return;
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (event.key in moves) show(state.k + moves[event.key]);
    else if (event.key === "Home") show(0);
    else if (event.key === "End") show(walk.length);
    else if (event.key === " ") play();
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

"use strict";
// The lecture deck's script (lecture/assets/deck.js, inlined by lecture.Deck.save).
// One slide at a time on a 1920 x 1080 stage scaled to the window.  Keys: → ↓ PageDown
// space next; ← ↑ PageUp back; Home / End; N the teacher's notes; F full screen.  The URL's
// hash is the slide's number (#5), so a reload or a link opens that slide.

const slides = Array.from(document.querySelectorAll(".slide"));
const stage = document.getElementById("stage");
const viewport = document.getElementById("viewport");
const notesTitle = document.getElementById("notes-title");
const notesBody = document.getElementById("notes-body");
const counter = document.getElementById("counter");
let current = 0;
let fading = null;                       // the timer that fades the counter out

// ------------------------------------------------------------------ the stage's size

function fit() {
  const box = viewport.getBoundingClientRect();
  const scale = Math.min(box.width / 1920, box.height / 1080);
  stage.style.setProperty("--scale", String(scale > 0 ? scale : 1));
}

// Graphviz pads a slide figure to 16:9 around what it draws; the slide has its own
// frame, so each figure's viewBox is cropped to its drawing (plus a small margin) and
// the figure then fills the room the slide gives it.
function cropFigure(svg) {
  const graph = svg.querySelector("g.graph");
  if (!graph) return;
  let box = null;
  for (const child of graph.children) {
    const b = child.getBBox();
    if (b.width === 0 && b.height === 0) continue;
    box = box === null ? {x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height}
      : {x0: Math.min(box.x0, b.x), y0: Math.min(box.y0, b.y),
         x1: Math.max(box.x1, b.x + b.width), y1: Math.max(box.y1, b.y + b.height)};
  }
  if (box === null) return;
  const m = graph.transform.baseVal.consolidate();
  const t = m ? m.matrix : {a: 1, b: 0, c: 0, d: 1, e: 0, f: 0};
  const x0 = t.a * box.x0 + t.e, x1 = t.a * box.x1 + t.e;    // Graphviz: scale and translate
  const y0 = t.d * box.y0 + t.f, y1 = t.d * box.y1 + t.f;
  const margin = 6;
  svg.setAttribute("viewBox", [Math.min(x0, x1) - margin, Math.min(y0, y1) - margin,
                               Math.abs(x1 - x0) + 2 * margin, Math.abs(y1 - y0) + 2 * margin]
                   .map((v) => v.toFixed(2)).join(" "));
}

// Then each figure is sized to the room its slide leaves (the stage is always 1920 x 1080
// layout px, so this is done once): as large as fits, proportions kept, and the figure
// and its caption are centred together.
function sizeFigure(box) {
  const svg = box.querySelector("svg.figure-svg");
  const view = svg.viewBox.baseVal;
  box.classList.remove("sized");
  svg.style.width = svg.style.height = "";
  const scale = Math.min(box.clientWidth / view.width, box.clientHeight / view.height);
  svg.style.width = (view.width * scale).toFixed(1) + "px";
  svg.style.height = (view.height * scale).toFixed(1) + "px";
  box.classList.add("sized");
}

// ------------------------------------------------------------------ moving

function setHash(n) {
  if (location.hash === "#" + n) return;
  try {
    history.replaceState(null, "", "#" + n);
  } catch (error) {              // some browsers refuse replaceState on file:// pages
    location.replace("#" + n);
  }
}

function slideFromHash() {
  const n = parseInt(location.hash.slice(1), 10);
  return Number.isFinite(n) ? n - 1 : 0;
}

function show(k) {
  k = Math.max(0, Math.min(slides.length - 1, k));
  slides[current].classList.remove("current");
  current = k;
  const slide = slides[k];
  slide.classList.add("current");
  document.body.dataset.slide = String(k + 1);
  document.title = slide.dataset.title + " (" + (k + 1) + " / " + slides.length + ")";
  notesTitle.textContent = (k + 1) + " / " + slides.length + " · " + slide.dataset.title;
  const notes = slide.querySelector(".notes");
  notesBody.replaceChildren(...Array.from(notes ? notes.childNodes : [],
                                          (node) => node.cloneNode(true)));
  if (document.activeElement && document.activeElement.tagName === "IFRAME") leaveFrame();
  counter.textContent = (k + 1) + " / " + slides.length;
  counter.classList.add("shown");
  clearTimeout(fading);
  fading = setTimeout(() => counter.classList.remove("shown"), 2500);
  setHash(k + 1);
}

function toggleNotes() {
  document.body.dataset.notes = document.body.dataset.notes === "true" ? "false" : "true";
  fit();
}

function toggleFullScreen() {
  if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  } else if (document.documentElement.requestFullscreen) {
    document.documentElement.requestFullscreen().catch(() => {});
  }
}

const NEXT = ["ArrowRight", "ArrowDown", "PageDown", " ", "Enter"];
const BACK = ["ArrowLeft", "ArrowUp", "PageUp", "Backspace"];

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;     // the browser's shortcuts
  const key = event.key;
  if (key === " " && event.shiftKey) show(current - 1);
  else if (NEXT.includes(key)) show(current + 1);
  else if (BACK.includes(key)) show(current - 1);
  else if (key === "Home") show(0);
  else if (key === "End") show(slides.length - 1);
  else if (key === "n" || key === "N") toggleNotes();
  else if (key === "f" || key === "F") toggleFullScreen();
  else return;
  event.preventDefault();
});

// ------------------------------------------------------------------ the explorer's frame

// A click inside the explorer gives it the keys (its arrows step the walk); Escape gives
// them back to the deck, and PageDown / PageUp move on from inside it.
function leaveFrame() {
  document.activeElement.blur();
  window.focus();
  markFrames();
}

function markFrames() {
  for (const box of document.querySelectorAll(".explorer-box")) {
    box.classList.toggle("focused", document.activeElement === box.querySelector("iframe"));
  }
}

function watchFrame(frame) {
  let page;
  try {
    page = frame.contentWindow;
    page.document.body;                   // the page is ours (srcdoc): reach into it
  } catch (error) {
    return;
  }
  page.addEventListener("keydown", (event) => {
    if (event.key === "Escape") leaveFrame();
    else if (event.key === "PageDown") show(current + 1);
    else if (event.key === "PageUp") show(current - 1);
    else return;
    event.preventDefault();
  });
  frame.dataset.loaded = "true";
}

window.addEventListener("blur", () => setTimeout(markFrames, 0));
window.addEventListener("focus", markFrames);

// ------------------------------------------------------------------ start

for (const svg of document.querySelectorAll("svg.figure-svg")) cropFigure(svg);
for (const box of document.querySelectorAll(".figure")) sizeFigure(box);
for (const frame of document.querySelectorAll("iframe")) {
  if (frame.contentDocument && frame.contentDocument.readyState === "complete" &&
      frame.contentDocument.body && frame.contentDocument.body.dataset.ready === "true") {
    watchFrame(frame);
  }
  frame.addEventListener("load", () => watchFrame(frame));
}
window.addEventListener("resize", fit);
document.addEventListener("fullscreenchange", () => {
  document.body.dataset.fullscreen = document.fullscreenElement ? "true" : "false";
  fit();
});
window.addEventListener("hashchange", () => {
  if (slideFromHash() !== current) show(slideFromHash());
});
fit();
show(slideFromHash());
document.body.dataset.ready = "true";

// The dispute viewer, part one: helpers and the three charts (the bisection funnel, the
// clocks, the gas). Part two (viewer-tables.js: the tables and the entry point) follows in
// the same function scope, so the names defined here are shared. Plain DOM, no library: the
// page must open from a file with no network.

var SVG_NS = "http://www.w3.org/2000/svg";
var SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

// ---- DOM helpers -----------------------------------------------------------------------

function setAttrs(e, attrs) {
  if (!attrs) return;
  Object.keys(attrs).forEach(function (k) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) return;
    if (k === "text") e.textContent = String(v);
    else e.setAttribute(k, String(v));
  });
}

function append(e, kids) {
  if (kids === null || kids === undefined) return e;
  if (!Array.isArray(kids)) kids = [kids];
  kids.forEach(function (k) {
    if (k === null || k === undefined) return;
    e.appendChild(typeof k === "object" ? k : document.createTextNode(String(k)));
  });
  return e;
}

// An HTML element; text always goes in as text nodes, so names from the data stay inert.
function h(tag, attrs, kids) {
  var e = document.createElement(tag);
  setAttrs(e, attrs);
  return append(e, kids);
}

// An SVG element, appended to `parent` if given.
function s(tag, attrs, parent) {
  var e = document.createElementNS(SVG_NS, tag);
  setAttrs(e, attrs);
  if (parent) parent.appendChild(e);
  return e;
}

function tip(parent, text) {
  s("title", { text: text }, parent);
}

// The drawing width available in `box`: charts are drawn at the size they are shown, so
// their text keeps its font size instead of being scaled with the picture.
function widthOf(box, fallback) {
  var w = box.clientWidth;
  return w > 240 ? Math.floor(w) : fallback;
}

// ---- Number and hash formatting --------------------------------------------------------

function thousands(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function sup(n) {
  return String(n).split("").map(function (d) { return SUPERSCRIPT[+d]; }).join("");
}

// n as m·2^e with m odd (e = 0 for odd n and for 0).
function split2(n) {
  var m = n, e = 0;
  while (m > 0 && m % 2 === 0) { m /= 2; e++; }
  return { m: m, e: e };
}

// A length: a power of two from 1024 up as 2ⁿ, anything else as a plain count.
function fmtLen(n) {
  if (n === null || n === undefined) return "—";
  var f = split2(n);
  if (f.m === 1 && f.e >= 10) return "2" + sup(f.e);
  return thousands(n);
}

// A point of a segment: small ones as they are, large round ones as k·2ⁿ (how the bisection
// cuts them), other large ones grouped by thin spaces (commas would read as separators of
// the interval).
function fmtPoint(n) {
  if (n === null || n === undefined) return "—";
  if (n < 65536) return String(n);
  var f = split2(n);
  if (f.e >= 10 && f.m < 64) return (f.m === 1 ? "" : f.m + "·") + "2" + sup(f.e);
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

function fmtInterval(a, b) {
  return "[" + fmtPoint(a) + ", " + fmtPoint(b) + "]";
}

// Seconds as a person reads a clock: "45 s", "12 min", "1 h", else seconds with commas.
function fmtSecs(t) {
  if (t >= 3600 && t % 3600 === 0) return t / 3600 + " h";
  if (t >= 120 && t % 60 === 0) return t / 60 + " min";
  return thousands(t) + " s";
}

function shortHex(x) {
  return x.length > 14 ? x.slice(0, 6) + "…" + x.slice(-4) : x;
}

// A hash or long hex value, shortened, with the whole value on hover.
function hashEl(x) {
  if (x === null || x === undefined) return h("span", { class: "none", text: "—" });
  return h("code", { class: "hash", title: x, text: shortHex(x) });
}

// Text in which every long hex run is shortened (with its full value on hover).
function hexText(str) {
  var out = h("span", { class: "mono" });
  var parts = String(str).split(/(0x[0-9a-fA-F]{20,})/);
  parts.forEach(function (p, i) {
    if (p === "") return;
    append(out, i % 2 === 1 ? hashEl(p) : p);
  });
  return out;
}

function partyOf(view, i) {
  return view.parties[i] || { name: "party " + i, role: "", address: "" };
}

// The party's colour class suffix: anything but the defender is drawn as the challenger.
function pc(i) {
  return i === 1 ? "p1" : "p0";
}

function fnName(f) {
  if (!f) return "—";
  return f.name || "func " + f.index;
}

// ---- The bisection funnel --------------------------------------------------------------

function segmentMoves(view) {
  return view.moves.filter(function (m) {
    return m.level !== null && m.start !== null && m.length !== null;
  });
}

// The block of the range that level 2 runs: the part the last level-1 move disputed.
function levelTwoBlock(view) {
  var block = null;
  view.moves.forEach(function (m) {
    if (m.level === 1 && m.part) block = m.part[0];
  });
  if (block === null && view.proof) block = view.proof.block;
  return block;
}

function levelTitle(view, level) {
  if (level === 1) {
    return "Level 1 · blocks of the range (inbox positions " + view.range[0] + " .. " + view.range[1] + ")";
  }
  var b = levelTwoBlock(view);
  return "Level 2 · machine steps of " + (b === null ? "one block" : "block " + b + " of the range");
}

function drawFunnel(view, box) {
  box.textContent = "";
  var moves = segmentMoves(view);
  var W = widthOf(box, 820);
  var LABEL = 190, RIGHT = 250, ROW = 38, HEAD = 28, BAR = 18, END = 30;
  var barLeft = LABEL + 8, barSpan = Math.max(120, W - LABEL - RIGHT - 24);
  var maxLog = {};
  moves.forEach(function (m) {
    maxLog[m.level] = Math.max(maxLog[m.level] || 0, Math.log2(Math.max(1, m.length)));
  });
  var items = [], last = null, y = 0;
  view.moves.forEach(function (m) {
    var isSegment = moves.indexOf(m) >= 0;
    if (isSegment && m.level !== last) {
      items.push({ head: m.level, y: y });
      y += HEAD;
      last = m.level;
    }
    if (isSegment) {
      items.push({ move: m, y: y });
      y += ROW;
    }
    if (m.kind === "proveOneStep" || m.kind === "timeout") {
      items.push({ end: m, y: y });
      y += END;
    }
  });
  if (items.length === 0) {
    box.appendChild(h("p", { class: "none", text: "No moves yet: the challenge has only been opened." }));
    return;
  }
  var H = y + 4;
  var svg = s("svg", { id: "funnel", viewBox: "0 0 " + W + " " + H, height: H, role: "img",
    "aria-label": "bisection funnel" });
  var under = s("g", { class: "connectors" }, svg);
  var prev = null;
  items.forEach(function (it, k) {
    if (it.head !== undefined) {
      s("line", { class: "funnel-level-line", x1: 0, x2: W, y1: it.y + HEAD - 4, y2: it.y + HEAD - 4 }, svg);
      s("text", { class: "funnel-level", x: 0, y: it.y + HEAD - 10, text: levelTitle(view, it.head) }, svg);
      prev = null;
    } else if (it.move) {
      var after = items[k + 1] && items[k + 1].move, part = it.move.part;
      prev = funnelRow(view, svg, under, it.move, it.y, prev, {
        barLeft: barLeft, barSpan: barSpan, row: ROW, bar: BAR, maxLog: maxLog[it.move.level],
        right: barLeft + barSpan + 16,
        partShown: !!(after && part && after.start === part[0] && after.length === part[1] - part[0]),
      });
    } else {
      funnelEnd(view, svg, it.end, it.y, END, barLeft + barSpan / 2);
    }
  });
  box.appendChild(svg);
}

// One move's row; returns where its disputed part lies, for the next row's connector.
function funnelRow(view, svg, under, m, y, prev, geo) {
  var p = pc(m.party), cy = y + geo.row / 2;
  var g = s("g", { class: "funnel-row " + p, "data-round": m.round, "data-level": m.level }, svg);
  var who = partyOf(view, m.party);
  tip(g, "round " + m.round + " · " + who.name + " (" + who.role + ") · " + m.kind +
    "\nsegment " + fmtInterval(m.start, m.start + m.length) + ", length " + thousands(m.length) +
    (m.part ? "\ndisputes part " + m.index + ": " + fmtInterval(m.part[0], m.part[1]) : "") +
    "\n" + m.hashes + " hashes posted");
  s("circle", { class: "fill-" + p, cx: 13, cy: cy, r: 12 }, g);
  s("text", { class: "badge-text", x: 13, y: cy + 4, "text-anchor": "middle", text: m.round }, g);
  var label = s("text", { x: 32, y: cy - 3 }, g);
  s("tspan", { class: "who text-" + p, text: who.name }, label);
  s("tspan", { class: "kind", dx: 6, text: m.kind }, label);
  s("text", { class: "detail", x: 32, y: cy + 12, text: who.role + " · " + m.hashes + " hashes" }, g);

  var logLen = Math.log2(Math.max(1, m.length));
  var w = Math.max(6, geo.barSpan * (logLen + 1) / (geo.maxLog + 1));
  var x0 = geo.barLeft + (geo.barSpan - w) / 2, top = cy - geo.bar / 2;
  if (prev && prev.start === m.start && prev.length === m.length) {
    s("polygon", {
      class: "soft-" + prev.p,
      points: [prev.x, prev.y, prev.x + prev.w, prev.y, x0 + w, top, x0, top].join(" "),
    }, under);
  }
  s("rect", { class: "track", x: x0, y: top, width: w, height: geo.bar, rx: 2 }, g);
  // The opening segment is one part whatever its length; a later one as many as were posted.
  var n = m.parts || Math.max(1, Math.min(view.degree, m.length));
  var cell = w / n;
  if (cell >= 3) {
    for (var i = 1; i < n; i++) {
      s("line", { class: "cut", x1: x0 + i * cell, x2: x0 + i * cell, y1: top, y2: top + geo.bar }, g);
    }
  }
  var idx = m.index;
  if ((idx === null || idx === undefined) && m.part) {
    idx = Math.floor((m.part[0] - m.start) / m.length * n);
  }
  var next = null;
  if (idx !== null && idx !== undefined) {
    var px = x0 + idx * cell, pw = Math.max(cell, 3);
    s("rect", { class: "pick fill-" + p, x: px, y: top, width: pw, height: geo.bar }, g);
    if (m.part) {
      next = { start: m.part[0], length: m.part[1] - m.part[0], x: px, w: pw, y: top + geo.bar, p: p };
    }
  }
  s("text", { class: "interval", x: geo.right, y: cy - 3, text: fmtInterval(m.start, m.start + m.length) }, g);
  var detail = "length " + fmtLen(m.length);
  if (m.part) {
    detail += " · part " + idx + " of " + n;
    // The part is the next row's interval; only the last row of a level spells it out.
    if (!geo.partShown) {
      detail += m.part[1] - m.part[0] === 1
        ? " → " + (m.level === 1 ? "block " : "step ") + fmtPoint(m.part[0])
        : " → " + fmtInterval(m.part[0], m.part[1]);
    }
  }
  s("text", { class: "detail", x: geo.right, y: cy + 12, text: detail }, g);
  return next;
}

// The end of the funnel: the one-step proof that settled it, or a timeout.
function funnelEnd(view, svg, m, y, height, cx) {
  var p = pc(m.party);
  var g = s("g", { class: "funnel-end", "data-round": m.round }, svg);
  var text;
  if (m.kind === "timeout") {
    var late = partyOf(view, m.party === 1 ? 0 : 1);
    text = "timeout: " + late.name + "'s clock ran out (claimed by " + partyOf(view, m.party).name + ")";
  } else {
    var pr = view.proof;
    text = "⚖ one-step proof by " + partyOf(view, m.party).name;
    if (pr) {
      text += ": step " + thousands(pr.step) + (pr.instruction ? " · " + pr.instruction.opcode : "") +
        (pr.rejected ? " · rejected" : pr.proven !== pr.claimed ? " · claim refuted" : " · claim confirmed");
    }
  }
  s("text", { class: "end-text text-" + p, x: cx, y: y + height / 2 + 4, "text-anchor": "middle", text: text }, g);
}

// ---- The clocks ------------------------------------------------------------------------

// Tick spacing: seconds in steps a clock reader expects (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10,
// 15, 30 min, 1 h …), the first giving at most `count` intervals.
function tickStep(span, count) {
  var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];
  for (var i = 0; i < steps.length; i++) {
    if (span / steps[i] <= count) return steps[i];
  }
  return Math.ceil(span / count / 86400) * 86400;
}

function ticks(max, count) {
  var step = tickStep(max, count), out = [];
  for (var v = 0; v <= max + 1e-9; v += step) out.push(v);
  return out;
}

// A party's clock at `t`, read off the samples (linear between them).
function clockAt(points, party, t) {
  if (points.length === 0) return null;
  if (t <= points[0].t) return points[0].left[party];
  for (var i = 1; i < points.length; i++) {
    var a = points[i - 1], b = points[i];
    if (t <= b.t) {
      if (b.t === a.t) return b.left[party];
      return a.left[party] + (b.left[party] - a.left[party]) * (t - a.t) / (b.t - a.t);
    }
  }
  return points[points.length - 1].left[party];
}

function drawClocks(view, box, legendBox) {
  box.textContent = "";
  legendBox.textContent = "";
  var pts = view.clocks;
  [0, 1].forEach(function (i) {
    var who = partyOf(view, i);
    var left = pts.length ? pts[pts.length - 1].left[i] : null;
    append(legendBox, h("span", { class: "party " + pc(i) }, [
      h("span", { class: "swatch " + pc(i) }), h("b", { class: "text-" + pc(i), text: who.name }),
      " " + who.role + (left === null ? "" : " · " + thousands(left) + " s left"),
    ]));
  });
  if (pts.length === 0) {
    box.appendChild(h("p", { class: "none", text: "No clock samples." }));
    return;
  }
  var W = widthOf(box, 560), H = 262, M = { l: 62, r: 14, t: 24, b: 38 };
  var tMax = 1, yMax = view.clock;
  pts.forEach(function (q) {
    tMax = Math.max(tMax, q.t);
    yMax = Math.max(yMax, q.left[0], q.left[1]);
  });
  view.moves.forEach(function (m) { if (m.at !== null) tMax = Math.max(tMax, m.at); });
  yMax = Math.max(1, yMax);
  var plotW = W - M.l - M.r, plotH = H - M.t - M.b;
  var X = function (t) { return M.l + t / tMax * plotW; };
  var Y = function (v) { return M.t + (1 - v / yMax) * plotH; };
  var svg = s("svg", { id: "clocks", viewBox: "0 0 " + W + " " + H, height: H, role: "img",
    "aria-label": "both clocks over time" });
  var axis = s("g", { class: "axis" }, svg);
  ticks(tMax, Math.max(3, Math.floor(plotW / 90))).forEach(function (t) {
    s("line", { class: "gridline", x1: X(t), x2: X(t), y1: M.t, y2: M.t + plotH }, axis);
    s("text", { x: X(t), y: M.t + plotH + 15, "text-anchor": "middle", text: fmtSecs(t) }, axis);
  });
  ticks(yMax, 5).forEach(function (v) {
    s("line", { class: "gridline", x1: M.l, x2: M.l + plotW, y1: Y(v), y2: Y(v) }, axis);
    s("text", { x: M.l - 6, y: Y(v) + 4, "text-anchor": "end", text: fmtSecs(v) }, axis);
  });
  s("line", { x1: M.l, x2: M.l + plotW, y1: M.t + plotH, y2: M.t + plotH }, axis);
  s("line", { x1: M.l, x2: M.l, y1: M.t, y2: M.t + plotH }, axis);
  s("text", { class: "axis-title", x: M.l + plotW, y: H - 3, "text-anchor": "end",
    text: "time since the opening →" }, svg);
  s("text", { class: "axis-title", x: M.l, y: 10, "text-anchor": "middle", text: "↑ seconds left" }, svg);
  [0, 1].forEach(function (i) {
    var line = s("polyline", {
      class: "clock-curve stroke-" + pc(i), "data-party": i,
      points: pts.map(function (q) { return X(q.t).toFixed(1) + "," + Y(q.left[i]).toFixed(1); }).join(" "),
    }, svg);
    tip(line, partyOf(view, i).name + " (" + partyOf(view, i).role + ")");
  });
  view.moves.forEach(function (m) {
    if (m.at === null) return;
    var v = m.kind !== "timeout" && m.clock_left !== null ? m.clock_left : clockAt(pts, m.party === 1 ? 1 : 0, m.at);
    if (v === null) return;
    var c = s("circle", { class: "clock-move fill-" + pc(m.party), "data-round": m.round,
      cx: X(m.at).toFixed(1), cy: Y(v).toFixed(1), r: 4.5 }, svg);
    tip(c, "round " + m.round + " · " + partyOf(view, m.party).name + " · " + m.kind + " at " +
      thousands(m.at) + " s, " + thousands(Math.round(v)) + " s left");
  });
  box.appendChild(svg);
}

// ---- The gas ---------------------------------------------------------------------------

function drawGas(view, box) {
  box.textContent = "";
  var rows = view.moves.filter(function (m) { return m.gas !== null; });
  var max = 1;
  rows.forEach(function (m) { max = Math.max(max, m.gas); });
  var list = h("div", { id: "gas", class: "gas-list" });
  rows.forEach(function (m) {
    var who = partyOf(view, m.party);
    append(list, [
      h("div", { class: "gas-label" }, [h("b", { text: m.round }), " " + who.name + " · " + m.kind]),
      h("div", { class: "gas-track" }, h("div", {
        class: "gas-bar " + pc(m.party), "data-round": m.round,
        style: "width:" + (m.gas / max * 100).toFixed(2) + "%",
        title: "round " + m.round + ": " + thousands(m.gas) + " gas",
      })),
      h("div", { class: "gas-value", text: thousands(m.gas) }),
    ]);
  });
  if (rows.length === 0) append(list, h("p", { class: "none", text: "No move's gas is known." }));
  box.appendChild(list);
  var totals = h("div", { class: "totals" });
  [0, 1].forEach(function (i) {
    var who = partyOf(view, i);
    var n = rows.filter(function (m) { return m.party === i; }).length;
    append(totals, h("span", { class: "total " + pc(i) }, [
      h("span", { class: "swatch " + pc(i) }), who.name + " (" + who.role + ") ",
      h("b", { text: thousands(view.gas_total[i]) }), " gas in " + n + (n === 1 ? " move" : " moves"),
    ]));
  });
  append(totals, h("span", { class: "total" }, [
    "together ", h("b", { text: thousands(view.gas_total[0] + view.gas_total[1]) }), " gas",
  ]));
  var unknown = view.moves.length - rows.length;
  if (unknown > 0) {
    append(totals, h("span", { class: "none", text: unknown + (unknown === 1 ? " move" : " moves") + " of unknown gas" }));
  }
  box.appendChild(totals);
}

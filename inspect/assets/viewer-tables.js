// The dispute viewer, part two: the moves table, the one-step proof, the disputed step, the
// notes, and the entry point that lays the page out and draws everything from the embedded
// JSON. Shares its scope with viewer-charts.js (helpers and charts).

function card(id, title, sub) {
  var c = h("section", { class: "card", id: id });
  append(c, h("h2", null, [title, sub ? h("span", { class: "sub", text: sub }) : null]));
  return c;
}

function table(headers, rows) {
  var head = h("tr", null, headers.map(function (x) {
    var num = x.charAt(0) === "#";
    return h("th", { class: num ? "num" : null, text: num ? x.slice(1) : x });
  }));
  return h("table", null, [h("thead", null, head), h("tbody", null, rows)]);
}

function td(content, cls) {
  return h("td", { class: cls || null }, content);
}

function orDash(v, f) {
  return v === null || v === undefined ? h("span", { class: "none", text: "—" }) : f(v);
}

function factsList(pairs) {
  var dl = h("dl", { class: "facts-list" });
  pairs.forEach(function (p) {
    if (!p) return;
    append(dl, [h("dt", { text: p[0] }), h("dd", null, p[1])]);
  });
  return dl;
}

// ---- Moves -----------------------------------------------------------------------------

function drawMoves(view) {
  var c = card("moves", "Moves", view.moves.length + " transactions after the opening; ✓ = the replay matched the record");
  var rows = view.moves.map(function (m) {
    var who = partyOf(view, m.party);
    var verdict = m.mismatch === null
      ? h("span", { class: "ok", text: "✓" })
      : h("span", { class: "bad" }, ["✗ ", h("span", { text: m.mismatch })]);
    return h("tr", { class: "move " + pc(m.party), "data-round": m.round }, [
      td(m.round, "num"),
      td(who.name, "party-cell"),
      td(m.kind),
      td(orDash(m.level, String), "num"),
      td(m.start === null || m.length === null ? orDash(null) : h("span", {
        class: "mono", title: "length " + thousands(m.length), text: fmtInterval(m.start, m.start + m.length),
      })),
      td(m.part === null ? orDash(null) : h("span", { class: "mono" }, [
        h("span", { class: "none", text: "#" + m.index + " " }), fmtInterval(m.part[0], m.part[1]),
      ])),
      td(m.hashes, "num"),
      td(orDash(m.at, function (v) { return thousands(v) + " s"; }), "num"),
      td(orDash(m.gas, thousands), "num"),
      td(orDash(m.clock_left, function (v) { return thousands(v) + " s"; }), "num"),
      td(verdict, "verdict"),
    ]);
  });
  append(c, table(["#round", "party", "move", "#level", "segment", "part disputed", "#hashes",
    "#at", "#gas", "#clock left", "replay"], rows));
  return c;
}

// ---- The one-step proof ----------------------------------------------------------------

function slotTable(slots, cls, empty) {
  if (slots.length === 0) return h("p", { class: "none", text: empty });
  return table(["where", "value"], slots.map(function (x) {
    return h("tr", { class: cls }, [td(x.what), td(hexText(x.value))]);
  }));
}

function machineRows(pre, post) {
  var fields = [
    ["status", function (m) { return m.status; }],
    ["pc", function (m) { return String(m.pc); }],
    ["stack (revealed, deepest first)", function (m) { return m.stack.length ? m.stack.join(", ") : "—"; }],
    ["stack below them", function (m) { return m.stack_rest; }],
    ["locals root", function (m) { return m.locals; }],
    ["frames", function (m) { return m.frames; }],
    ["memory root", function (m) { return m.memory_root; }],
    ["memory pages", function (m) { return String(m.memory_pages); }],
    ["globals root", function (m) { return m.globals_root; }],
    ["state root", function (m) { return m.global_state.state_root; }],
    ["outbox root", function (m) { return m.global_state.outbox_root; }],
    ["inbox position", function (m) { return String(m.global_state.inbox_position); }],
    ["block number", function (m) { return String(m.global_state.block_number); }],
  ];
  return fields.map(function (f) {
    var a = f[1](pre), b = post ? f[1](post) : null;
    return h("tr", { class: post && a !== b ? "changed" : null }, [
      td(f[0]), td(hexText(a)), td(b === null ? h("span", { class: "none", text: "—" }) : hexText(b)),
    ]);
  });
}

function drawProof(view) {
  var pr = view.proof;
  var c = card("proof", "One-step proof", "step " + thousands(pr.step) + " of block " + pr.block +
    " · " + thousands(pr.bytes) + " bytes");
  var prover = null;
  view.moves.forEach(function (m) { if (m.kind === "proveOneStep") prover = m.party; });
  var top = h("div", { class: "split3" });

  var inst = pr.instruction;
  var left = h("div");
  append(left, h("h3", { text: "The instruction" }));
  if (inst) {
    append(left, h("div", null, [h("span", { class: "opcode", text: inst.opcode }),
      h("span", { class: "pill", text: inst.class })]));
    append(left, factsList([
      ["function", h("span", null, [h("b", { class: "fn-name", text: fnName(inst.function) }),
        inst.function ? h("span", { class: "none", text: " (index " + inst.function.index + ")" }) : null])],
      ["pc", h("span", { class: "mono", text: String(inst.pc) })],
      ["immediates", h("span", { class: "mono", text: "a = " + inst.a + ", b = " + inst.b })],
      ["block", String(pr.block) + " of the range"],
      ["step", thousands(pr.step) + " (steps before it)"],
    ]));
  } else {
    append(left, h("p", { class: "none", text: "No instruction: the machine had halted or errored." }));
    append(left, factsList([["block", String(pr.block)], ["step", thousands(pr.step)]]));
  }
  append(top, left);

  var mid = h("div");
  append(mid, h("h3", { text: "Machine hashes" }));
  var claimant = prover === null ? null : partyOf(view, prover === 1 ? 0 : 1);
  append(mid, factsList([
    ["pre (agreed)", hashEl(pr.pre)],
    ["claimed" + (claimant ? " by " + claimant.name : ""), hashEl(pr.claimed)],
    ["proven", hashEl(pr.proven)],
  ]));
  if (pr.rejected !== null) {
    append(mid, h("div", { class: "rejected", text: "The verifier rejected this proof: " + pr.rejected }));
  } else if (pr.proven !== pr.claimed) {
    append(mid, h("div", { class: "verdict-box refuted", text: "proven ≠ claimed: the claim was refuted" +
      (claimant ? " — " + claimant.name + " (" + claimant.role + ") was wrong about this step" : "") }));
  } else {
    append(mid, h("div", { class: "verdict-box agrees", text: "proven = claimed: the proof confirms the claim" }));
  }
  append(top, mid);

  var right = h("div");
  append(right, h("h3", null, ["What the proof carries", h("span", { class: "sub", text: thousands(pr.bytes) + " bytes" })]));
  var bar = h("div", { class: "bytes-bar", title: thousands(pr.bytes) + " bytes" });
  var legend = h("div", { class: "bytes-legend" });
  var total = Math.max(1, pr.parts.reduce(function (a, p) { return a + p.bytes; }, 0));
  pr.parts.forEach(function (p, i) {
    append(bar, h("div", { class: "proof-part part-" + (i % 5), title: p.what + ": " + thousands(p.bytes) + " bytes",
      style: "width:" + (p.bytes / total * 100).toFixed(2) + "%" }));
    append(legend, [h("span", { class: "swatch part-" + (i % 5) }), h("span", { text: p.what }),
      h("span", { class: "num", text: thousands(p.bytes) + " B" })]);
  });
  append(right, [bar, legend]);
  append(top, right);
  append(c, top);

  // What the step touched on the left, the whole revealed machine (the taller table) on the
  // right, so that neither column runs on alone.
  var paths = pr.paths.length === 0 ? h("p", { class: "none", text: "No Merkle paths." }) :
    table(["tree", "#leaf index", "#depth", "leaf", "#bytes"], pr.paths.map(function (p) {
      return h("tr", { class: "proof-path" }, [td(p.tree), td(thousands(p.index), "num"), td(p.depth, "num"),
        td(hashEl(p.leaf)), td(thousands(p.bytes), "num")]);
    }));
  var touched = h("div", null, [
    h("h3", { text: "Read" }), slotTable(pr.read, "slot-read", "Nothing read."),
    h("h3", { text: "Written" }), slotTable(pr.written, "slot-written", "Nothing written."),
    h("h3", { text: "Merkle paths" }), paths,
  ]);
  var state = h("div", null, [h("h3", { text: "The machine the proof reveals" }),
    table(["field", "pre-state", "post-state"], machineRows(pr.pre_state, pr.post_state))]);
  append(c, h("div", { class: "split" }, [touched, state]));
  return c;
}

// ---- The disputed step -----------------------------------------------------------------

function numbered(values, label, cls) {
  if (values.length === 0) return h("span", { class: "none", text: "empty" });
  return h("ol", { class: "plain " + (cls || "") }, values.map(function (v, i) {
    return h("li", null, [h("span", { class: "idx", text: label(i) }), hexText(v)]);
  }));
}

function stepCard(v, title) {
  var inst = v.instruction;
  var calls = h("ol", { class: "plain" }, v.call_stack.map(function (f, i) {
    return h("li", null, [h("span", { class: "idx", text: i === 0 ? "now" : "#" + i }),
      h("span", { text: fnName(f.function) }), h("span", { class: "none", text: " @" + f.pc })]);
  }));
  var mem = v.memory ? h("div", null, [
    h("span", { class: "none", text: "at 0x" + v.memory.address.toString(16) + ": " }),
    h("span", { class: "memory-bytes", text: v.memory.bytes.replace(/(.{8})(?=.)/g, "$1 ") || "(past the end)" }),
  ]) : h("span", { class: "none", text: "—" });
  var gs = v.global_state;
  return h("div", null, [
    h("h3", null, [title, h("span", { class: "sub", text: "step " + thousands(v.step) })]),
    factsList([
      ["status", v.status],
      ["machine hash", hashEl(v.hash)],
      ["instruction", inst ? h("span", null, [h("b", { class: "mono", text: inst.opcode }), " in ",
        h("b", { text: fnName(inst.function) }), h("span", { class: "none", text: " (pc " + inst.pc + ", " + inst.class + ")" })])
        : h("span", { class: "none", text: "none" })],
      ["call stack", calls],
      ["stack top", h("div", null, [h("span", { class: "none", text: v.stack_depth + " values, the top first" }),
        numbered(v.stack_top, function (i) { return i === 0 ? "top" : "top-" + i; })])],
      ["locals", h("div", null, [h("span", { class: "none", text: v.locals_count + " in the frame" +
        (v.locals.length < v.locals_count ? ", first " + v.locals.length + " shown" : "") }),
        numbered(v.locals, function (i) { return String(i); }, "cols")])],
      ["memory", mem],
      ["memory pages", String(v.memory_pages)],
      ["state root", hashEl(gs.state_root)],
      ["outbox root", hashEl(gs.outbox_root)],
      ["inbox position", String(gs.inbox_position)],
      ["block number", String(gs.block_number)],
    ]),
  ]);
}

function drawStep(view) {
  var d = view.disputed_step;
  var c = card("step", "The disputed step", "the stepping machine just before the disputed instruction and one step later");
  append(c, h("div", { class: "split" }, [stepCard(d.before, "Before"), stepCard(d.after, "After")]));
  append(c, h("h3", { text: "What changed" }));
  append(c, d.diff.length === 0 ? h("p", { class: "none", text: "Nothing." }) :
    table(["what", "before", "after"], d.diff.map(function (x) {
      return h("tr", { class: "diff-row" }, [td(x.what), td(hexText(x.before)), td(hexText(x.after))]);
    })));
  return c;
}

function drawNotes(view) {
  var c = card("notes", "Notes");
  append(c, h("ul", { class: "notes" }, view.notes.map(function (n) { return h("li", { text: n }); })));
  return c;
}

// ---- Entry point -----------------------------------------------------------------------

function showError(e) {
  document.body.dataset.rendered = "error";
  var box = document.getElementById("render-error");
  box.textContent = "The page could not be drawn: " + (e && e.message ? e.message : String(e));
  box.hidden = false;
}

function main() {
  var view = JSON.parse(document.getElementById("dispute-data").textContent);
  var root = document.getElementById("viewer");
  root.textContent = "";

  var funnelCard = card("funnel-card", "Bisection funnel",
    "each row: the segment a move answered (width on a log scale of its length), cut into parts; the coloured part is the one its mover disputed");
  var funnelBox = h("div", { class: "chart" });
  append(funnelCard, funnelBox);
  var clocksCard = card("clocks-card", "Clocks", "seconds left on each party's clock");
  var legend = h("div", { class: "legend" });
  var clocksBox = h("div", { class: "chart" });
  append(clocksCard, [legend, clocksBox]);
  var gasCard = card("gas-card", "Gas", "L1 gas of each move");
  var gasBox = h("div");
  append(gasCard, gasBox);
  append(root, h("div", { class: "overview" }, [funnelCard, h("div", { class: "stack" }, [clocksCard, gasCard])]));

  // Charts are measured from their boxes, so the boxes must be in the page first.
  drawFunnel(view, funnelBox);
  drawClocks(view, clocksBox, legend);
  drawGas(view, gasBox);
  append(root, drawMoves(view));
  if (view.proof) append(root, drawProof(view));
  if (view.disputed_step) append(root, drawStep(view));
  if (view.notes.length > 0) append(root, drawNotes(view));

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      try {
        drawFunnel(view, funnelBox);
        drawClocks(view, clocksBox, legend);
      } catch (e) {
        showError(e);
      }
    }, 150);
  });
}

try {
  main();
  document.body.dataset.rendered = "ok";
} catch (e) {
  showError(e);
}

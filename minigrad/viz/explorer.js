// The backward-pass explorer's page: steps through the trace that minigrad.viz.explore wrote
// into the page as JSON. Position 0 is before the walk; position k shows step k - 1 of the
// engine's walk (the node it processes and the gradients it sends to its parents).
"use strict";
(function () {
  const trace = JSON.parse(document.getElementById("trace").textContent);
  const steps = trace.steps;
  const nodes = Object.fromEntries(trace.nodes.map((n) => [n.id, n]));
  const stepOf = {}; // node id -> index of the step that processes it
  steps.forEach((s, i) => { stepOf[s.node] = i; });
  const $ = (id) => document.getElementById(id);
  let pos = 0;
  let timer = null;

  function fmt(v, digits) {
    return typeof v === "string" ? v : String(Number(v.toPrecision(digits)));
  }

  function shape(s) {
    return "(" + s.join(", ") + (s.length === 1 ? ",)" : ")");
  }

  function esc(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // An array summary as HTML: a matrix of every entry when the page has them all (rows along
  // the last axis), else mean, min, max and the first entries.
  function values(s, digits = 4) {
    const head = `<span class="num">${shape(s.shape)} ${s.dtype}</span>`;
    if (s.values && !s.shape.length) {
      return `${head} <span class="num">${fmt(s.values[0], digits)}</span>`;
    }
    if (!s.values) {
      const bad = s.nonfinite ? `, ${s.nonfinite} NaN/inf` : "";
      const stats = "mean" in s
        ? `mean ${fmt(s.mean, digits)}, min ${fmt(s.min, digits)}, max ${fmt(s.max, digits)}`
        : "no finite entries";
      const first = s.head.map((v) => fmt(v, digits)).join(", ");
      return `${head} <span class="num">${stats}${bad}; first: ${first}, ...</span>`;
    }
    const width = s.shape.length ? s.shape[s.shape.length - 1] : 1;
    let rows = "";
    for (let i = 0; i < s.values.length; i += Math.max(width, 1)) {
      const cells = s.values.slice(i, i + width).map((v) => `<td>${fmt(v, digits)}</td>`);
      rows += `<tr>${cells.join("")}</tr>`;
    }
    return `${head}<table class="matrix num">${rows}</table>`;
  }

  function nodeName(id) {
    const n = nodes[id];
    return `<b>${esc(n.title)}</b>`;
  }

  function sendHtml(send) {
    let html = `<div class="box send"><div class="label">sends to</div>
      <div>${nodeName(send.parent)}</div>`;
    if (send.summed.length) {
      const axes = send.summed.length === 1 ? "axis" : "axes";
      html += `<div class="note">broadcast reduction: the backward gave
        ${shape(send.raw.shape)}; broadcasting stretched this input, so the engine sums over
        ${axes} ${send.summed.join(", ")} to get its shape ${shape(send.grad.shape)}</div>`;
    }
    html += values(send.grad);
    if (send.accumulated) {
      html += `<div class="note"><code>+=</code> this input feeds several consumers and
        already holds a gradient from another one: this one is added. Sum so far:</div>
        ${values(send.total)}`;
    }
    return html + "</div>";
  }

  function checkHtml(id) {
    const c = trace.check[id];
    if (!c) return "";
    if (c.note) return `<div class="box"><div class="label">numerical check</div>${c.note}</div>`;
    const bad = c.verdict === "wrong" || c.verdict === "suspicious";
    return `<div class="box${bad ? " checkbad" : ""}"><div class="label">numerical check</div>
      finite differences of the forward: &lt;gy, dy&gt; = ${fmt(c.lhs, 6)}<br>
      the backward: &Sigma; &lt;g<sub>i</sub>, dx<sub>i</sub>&gt; = ${fmt(c.rhs, 6)}<br>
      relative error ${fmt(c.rel_error, 2)}: <b>${c.verdict}</b>
      <div><small>With every leaf nudged: dy and dx<sub>i</sub> are how this node's output
      and inputs moved, gy the gradient arriving, g<sub>i</sub> what the backward sends;
      a right backward makes the two sums equal.</small></div></div>`;
  }

  function stepHtml() {
    if (pos === 0) {
      const root = nodes[steps[0].node];
      return `<div class="box"><div class="label">before the walk</div>
        The forward pass built this graph of ${trace.nodes.length} nodes; its output
        ${nodeName(root.id)} is ${values(root.value)}
        <p><code>backward()</code> walks it from the output, newest node first, so that a
        node's gradient is complete (every consumer has sent its share) when its turn
        comes. Press <b>forward</b> (or &rarr;) to take the first step.</p></div>`;
    }
    const step = steps[pos - 1];
    const n = nodes[step.node];
    if (!step.sends.length) {
      return `<div class="box"><div class="label">step ${pos}: a leaf</div>${nodeName(n.id)}.
        Every consumer has sent its share: its gradient is final, and
        <code>backward()</code> stores it in <code>.grad</code>:<div>${values(step.grad, 6)}</div>
        </div>`;
    }
    const seed = pos === 1 ? " (the seed: d output / d output = 1)" : "";
    const rule = n.rule
      ? `<span class="rule">${esc(n.rule)}</span><small>from the docstring of
         <code>${esc(n.source)}</code></small>`
      : `<span class="note">no documented derivative rule found for this op</span>`;
    const doc = n.doc && n.doc !== n.rule ? `<div>${esc(n.doc)}</div>` : "";
    const op = n.title === n.op ? "" : ` <code>${esc(n.op)}</code>`;
    return `<div class="box"><div class="label">step ${pos}: processing</div>${nodeName(n.id)}
        ${op}${doc}<div class="label">forward value</div>${values(n.value)}
        <div class="label">gradient arriving${seed}</div>${values(step.grad)}
        <div class="label">local rule</div>${rule}</div>
      ${checkHtml(n.id)}${step.sends.map(sendHtml).join("")}`;
  }

  function leavesHtml() {
    const rows = trace.leaves.map((id) => {
      const i = stepOf[id];
      const ready = i < pos;
      const grad = ready ? values(steps[i].grad, 6) : "not reached yet";
      return `<tr data-node="${id}" class="${ready ? "ready" : "pending"}">
        <td>${nodeName(id)}</td><td class="value">${grad}</td></tr>`;
    });
    return `<table class="leaves"><tbody>${rows.join("")}</tbody></table>`;
  }

  function paintGraph() {
    const done = new Set(steps.slice(0, Math.max(pos - 1, 0)).map((s) => s.node));
    const current = pos > 0 ? steps[pos - 1] : null;
    const waiting = new Set();
    steps.slice(0, pos).forEach((s) => s.sends.forEach((t) => waiting.add(t.parent)));
    const sending = new Set(current ? current.sends.map((t) => t.edge) : []);
    document.querySelectorAll("#graph g.node").forEach((g) => {
      const check = trace.check[g.id];
      g.classList.toggle("done", done.has(g.id));
      const isCurrent = current !== null && current.node === g.id;
      g.classList.toggle("current", isCurrent);
      g.classList.toggle("waiting", waiting.has(g.id) && !done.has(g.id) && !isCurrent);
      g.classList.toggle("wrong", Boolean(check && check.verdict === "wrong"));
      g.classList.toggle("suspicious", Boolean(check && check.verdict === "suspicious"));
    });
    document.querySelectorAll("#graph g.edge").forEach((g) => {
      g.classList.toggle("sending", sending.has(g.id));
    });
    if (current) keepInView(document.getElementById(current.node));
  }

  // Scroll the graph pane (only it: not the page around an inline display) to the node.
  function keepInView(el) {
    const pane = $("graph");
    const box = el.getBoundingClientRect();
    const view = pane.getBoundingClientRect();
    if (box.top < view.top || box.bottom > view.bottom) {
      pane.scrollTop += box.top - view.top - view.height / 2 + box.height / 2;
    }
  }

  function show(k) {
    pos = Math.max(0, Math.min(steps.length, k));
    $("step").innerHTML = stepHtml();
    $("leaves").innerHTML = leavesHtml();
    $("counter").textContent = `step ${pos} of ${steps.length}`;
    $("jump").value = String(pos);
    $("first").disabled = $("back").disabled = pos === 0;
    $("forward").disabled = $("last").disabled = pos === steps.length;
    paintGraph();
    if (pos === steps.length) stop();
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    $("play").innerHTML = "&#x25B6; play";
  }

  function play() {
    if (timer) return stop();
    if (pos === steps.length) show(0);
    $("play").innerHTML = "&#x23F8; pause";
    timer = setInterval(() => show(pos + 1), 900);
  }

  $("names").textContent = trace.note;
  $("jump").innerHTML = '<option value="0">the start</option>' + steps.map((s, i) => {
    const n = nodes[s.node];
    return `<option value="${i + 1}">${i + 1}. ${esc(n.title)} ${shape(n.value.shape)}</option>`;
  }).join("");
  $("jump").addEventListener("change", (e) => show(Number(e.target.value)));
  $("first").addEventListener("click", () => show(0));
  $("back").addEventListener("click", () => show(pos - 1));
  $("forward").addEventListener("click", () => show(pos + 1));
  $("last").addEventListener("click", () => show(steps.length));
  $("play").addEventListener("click", play);
  document.querySelectorAll("#graph g.node").forEach((g) => {
    g.addEventListener("click", () => { if (g.id in stepOf) show(stepOf[g.id] + 1); });
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT") return;
    const to = { ArrowRight: pos + 1, ArrowLeft: pos - 1, Home: 0, End: steps.length }[e.key];
    if (to !== undefined) show(to);
    else if (e.key === " ") play();
    else return;
    e.preventDefault();
  });
  show(0);
})();

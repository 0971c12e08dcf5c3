// The optimizer playground's page: contours of a 2-D loss with each optimizer's path over it,
// the loss and the learning rate per step, and the controls. One script for two hosts:
// - in Jupyter it is an anywidget front end, render({model, el}): a control sets the model's
//   "state", the kernel reruns minigrad's optimizers and sends back "result";
// - in a saved page, staticModel(data) plays the kernel's part by looking the paths up in the
//   grid of settings that was computed when the page was saved.
// Every path is drawn from minigrad's numbers; nothing is computed here but the drawing.

const COLORS = ["#d9480f", "#1971c2", "#2f9e44", "#9c36b5", "#f08c00", "#0c8599"];
const SVG = "http://www.w3.org/2000/svg";
const FLOOR = 1e-16; // the loss plot's floor: log(0) has no place on it
const CHOICES = {
  beta2: [0.9, 0.99, 0.999, 0.9999],
  max_norm: [0, 10, 1, 0.1, 0.01], // 0: no clipping
};

function el(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "path", "polyline", "circle", "text", "rect", "image", "clipPath"];
  const node = svg.includes(tag) ? document.createElementNS(SVG, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function fmt(v, digits = 3) {
  if (v === null || v === undefined) return "-";
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
    ? v.toExponential(digits - 1) : String(Number(v.toPrecision(digits)));
}

function label(s) {
  const parts = [`${s.optimizer} lr ${fmt(s.lr)}`];
  if (s.optimizer === "SGD" || s.optimizer === "RMSprop") {
    if (s.momentum) parts.push(`momentum ${fmt(s.momentum)}${s.nesterov ? " (Nesterov)" : ""}`);
  }
  if (s.optimizer.startsWith("Adam")) parts.push(`betas (${s.betas.join(", ")})`);
  if (s.weight_decay) parts.push(`weight_decay ${fmt(s.weight_decay)}`);
  if (s.schedule !== "constant") parts.push(`${s.schedule} schedule`);
  if (s.max_norm) parts.push(`max_norm ${s.max_norm}`);
  return parts.join(", ");
}

// A linear scale from [d0, d1] to [r0, r1].
function scale(d0, d1, r0, r1) {
  return (v) => r0 + ((v - d0) / (d1 - d0 || 1)) * (r1 - r0);
}

function ticks(lo, hi, count = 5) {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / count));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= count) || step;
  const out = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9 * nice; v += nice) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

// Marching squares: the segments of the level line z = level on an n x n grid (row i at the
// i-th y), in grid coordinates (column, row).
function contourSegments(z, n, level) {
  const segs = [];
  const at = (i, j) => z[i * n + j];
  const cross = (a, b) => (level - a) / (b - a);
  for (let i = 0; i < n - 1; i++) {
    for (let j = 0; j < n - 1; j++) {
      const c = [at(i, j), at(i, j + 1), at(i + 1, j + 1), at(i + 1, j)];
      if (c.some((v) => v === null)) continue;
      const pts = [];
      const corners = [[j, i], [j + 1, i], [j + 1, i + 1], [j, i + 1]];
      for (let k = 0; k < 4; k++) {
        const a = c[k];
        const b = c[(k + 1) % 4];
        if ((a < level) !== (b < level)) {
          const t = cross(a, b);
          const [p, q] = [corners[k], corners[(k + 1) % 4]];
          pts.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
        }
      }
      if (pts.length === 2) segs.push(pts);
      if (pts.length === 4) segs.push([pts[0], pts[1]], [pts[2], pts[3]]);
    }
  }
  return segs;
}

// The contour plot: shaded levels, level lines, the paths, the start.
function drawContours(svg, view, paths, state, onPick) {
  const [W, H, L, R, T, B] = [520, 430, 46, 12, 10, 36];
  const [x0, x1, y0, y1] = view.box;
  const sx = scale(x0, x1, L, W - R);
  const sy = scale(y0, y1, H - B, T);
  const n = view.n;
  const gx = scale(0, n - 1, L, W - R);
  const gy = scale(0, n - 1, H - B, T);
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.dataset.box = JSON.stringify(view.box);
  svg.dataset.frame = JSON.stringify([L, W - R, H - B, T]);
  svg.append(el("image", { x: L, y: T, width: W - L - R, height: H - T - B,
    preserveAspectRatio: "none", href: shading(view) }));
  view.levels.forEach((level) => {
    const d = contourSegments(view.z, n, level)
      .map(([a, b]) => `M${gx(a[0]).toFixed(1)},${gy(a[1]).toFixed(1)}`
        + `L${gx(b[0]).toFixed(1)},${gy(b[1]).toFixed(1)}`).join("");
    svg.append(el("path", { d, class: "mgp-level" }));
  });
  const axes = el("g", { class: "mgp-axes" });
  ticks(x0, x1).forEach((v) => axes.append(el("text", { x: sx(v), y: H - B + 16,
    "text-anchor": "middle" }, fmt(v))));
  ticks(y0, y1).forEach((v) => axes.append(el("text", { x: L - 5, y: sy(v) + 4,
    "text-anchor": "end" }, fmt(v))));
  axes.append(el("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" }, "x"));
  axes.append(el("text", { x: 10, y: (T + H - B) / 2 }, "y"));
  axes.append(el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "mgp-frame" }));
  svg.append(axes);
  const clip = `mgp-clip-${Math.random().toString(36).slice(2)}`;
  svg.append(el("clipPath", { id: clip }, el("rect", { x: L, y: T, width: W - L - R,
    height: H - T - B })));
  const drawn = el("g", { "clip-path": `url(#${clip})` });
  paths.forEach((p, i) => {
    const pts = p.points.map(([x, y]) => `${sx(x).toFixed(2)},${sy(y).toFixed(2)}`).join(" ");
    const line = el("polyline", { points: pts, class: "mgp-path", stroke: COLORS[i % 6] });
    line.dataset.runner = String(i);
    line.dataset.points = JSON.stringify(p.points);
    const [ex, ey] = p.points[p.points.length - 1];
    drawn.append(line, el("circle", { cx: sx(ex), cy: sy(ey), r: 4, fill: COLORS[i % 6],
      class: "mgp-end" }));
  });
  drawn.append(el("circle", { cx: sx(state.start[0]), cy: sy(state.start[1]), r: 5,
    class: "mgp-start" }));
  svg.append(drawn);
  svg.onclick = onPick && ((e) => {
    const box = svg.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * W;
    const py = ((e.clientY - box.top) / box.height) * H;
    if (px < L || px > W - R || py < T || py > H - B) return;
    onPick([x0 + ((px - L) / (W - L - R)) * (x1 - x0), y1 - ((py - T) / (H - T - B)) * (y1 - y0)]);
  });
}

// The surface shaded by level (light = low), as a PNG drawn on a canvas.
function shading(view) {
  const { n, z, levels } = view;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = n;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = z[i * n + j];
      const rank = v === null ? 1 : levels.filter((l) => l < v).length / levels.length;
      const k = 4 * ((n - 1 - i) * n + j); // row 0 of the image is the top, the largest y
      img.data.set([250 - 60 * rank, 252 - 45 * rank, 255 - 25 * rank, 255], k);
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas.toDataURL();
}

// A line chart of one series per path against the step; `log` for a log10 y axis.
function drawChart(svg, series, { title, log }) {
  const [W, H, L, R, T, B] = [340, 190, 54, 10, 24, 30];
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const ys = series.flat().filter((v) => v !== null && Number.isFinite(v));
  const tf = log ? (v) => Math.log10(Math.max(v, FLOOR)) : (v) => v;
  let lo = ys.length ? Math.min(...ys.map(tf)) : 0;
  let hi = ys.length ? Math.max(...ys.map(tf)) : 1;
  if (!log) lo = Math.min(lo, 0);
  if (hi - lo < 1e-12) [lo, hi] = [lo - 1, hi + 1];
  const steps = Math.max(1, ...series.map((s) => s.length - 1));
  const sx = scale(0, steps, L, W - R);
  const sy = scale(lo, hi, H - B, T);
  svg.append(el("text", { x: L, y: 14, class: "mgp-title" }, title));
  const axes = el("g", { class: "mgp-axes" });
  const yt = log ? ticks(Math.floor(lo), Math.ceil(hi), 4).filter((v) => v >= lo - 1e-9
    && v <= hi + 1e-9 && Number.isInteger(v)) : ticks(lo, hi, 4);
  yt.forEach((v) => axes.append(el("text", { x: L - 5, y: sy(v) + 4, "text-anchor": "end" },
    log ? `1e${v}` : fmt(v))));
  ticks(0, steps, 5).forEach((v) => axes.append(el("text", { x: sx(v), y: H - B + 14,
    "text-anchor": "middle" }, String(v))));
  axes.append(el("text", { x: (L + W - R) / 2, y: H - 3, "text-anchor": "middle" }, "step"));
  axes.append(el("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "mgp-frame" }));
  svg.append(axes);
  series.forEach((s, i) => {
    const pts = s.map((v, k) => (v === null ? null : `${sx(k).toFixed(1)},${sy(tf(v)).toFixed(1)}`))
      .filter(Boolean).join(" ");
    svg.append(el("polyline", { points: pts, class: "mgp-series", stroke: COLORS[i % 6] }));
  });
}

function gradientTable(g) {
  const rel = g.analytic.map((a, k) => {
    const n = g.numerical[k];
    return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), 1e-300);
  });
  const row = (name, v, digits) => `<tr><th>${name}</th>${v.map((x) => `<td>${fmt(x, digits)}</td>`)
    .join("")}</tr>`;
  return `<div class="mgp-label">gradient at the start (${g.point.map((v) => fmt(v, 4)).join(", ")})</div>
    <table class="mgp-grad"><tr><th></th><th>df/dx</th><th>df/dy</th></tr>
    ${row("analytic (backward)", g.analytic, 7)}${row("numerical (differences)", g.numerical, 7)}
    ${row("relative error", rel, 2)}</table>`;
}

function slider(name, text, attrs, value, shown, onInput) {
  const input = el("input", { type: "range", name, ...attrs });
  input.value = String(value);
  const out = el("output", {}, shown);
  input.addEventListener("input", () => onInput(Number(input.value), out));
  return el("label", { class: "mgp-control" }, `${text} `, input, out);
}

function select(name, text, options, value, onChange) {
  const input = el("select", { name });
  options.forEach(([v, t]) => input.append(el("option", { value: String(v) }, t)));
  input.value = String(value);
  input.addEventListener("change", () => onChange(input.value));
  return el("label", { class: "mgp-control" }, `${text} `, input);
}

function render({ model, el: root }) {
  let state = structuredClone(model.get("result").state);
  let timer = null;
  const page = el("div", { class: "mgp" });
  const head = el("div", { class: "mgp-head" });
  const text = el("p", { class: "mgp-text" });
  const contour = el("svg", { class: "mgp-contour", role: "img" });
  const loss = el("svg", { class: "mgp-chart mgp-loss" });
  const lr = el("svg", { class: "mgp-chart mgp-lr" });
  const grad = el("div", { class: "mgp-gradient" });
  const controls = el("div", { class: "mgp-controls" });
  const error = el("div", { class: "mgp-error", role: "alert" });
  page.append(head, text, el("div", { class: "mgp-main" }, contour,
    el("div", { class: "mgp-side" }, loss, lr, grad)), error, controls);
  root.append(page);

  // Send the settings to the kernel (or the saved grid, at once); `now` skips the short wait
  // that lets a slider dragged in Jupyter send one request instead of fifty.
  function send(now = false) {
    clearTimeout(timer);
    const go = () => { model.set("state", structuredClone(state)); model.save_changes(); };
    if (now || model.get("result").grids) go(); else timer = setTimeout(go, 120);
  }

  // After a change that leaves settings to the kernel (a new surface's start and rates, a new
  // optimizer's defaults), take the settings it filled in once its answer to that change
  // arrives; an answer to an older request, or a slider still moving, keeps the screen's.
  function completes(next) {
    const shape = (s) => JSON.stringify([s.surface, s.optimizers.map((o) => o.optimizer)]);
    const holes = state.start === null || state.optimizers.some((o) => o.lr === undefined);
    return holes && shape(next) === shape(state);
  }

  function adopt(next) {
    state = structuredClone(next);
    buildControls(model.get("result"));
  }

  function buildControls(result) {
    const { meta, grids } = result;
    const fixed = Boolean(grids); // a saved page: only the precomputed settings
    controls.replaceChildren();
    head.replaceChildren(select("surface", "surface", meta.surfaces, state.surface, (v) => {
      state = { ...state, surface: v, start: null,
        optimizers: state.optimizers.map(({ lr: _, ...rest }) => rest) };
      send(true);
    }));
    const box = result.view.box;
    const shared = el("div", { class: "mgp-row" });
    ["x", "y"].forEach((axis, k) => {
      const [lo, hi] = [box[2 * k], box[2 * k + 1]];
      shared.append(slider(`start_${axis}`, `start ${axis}`, { min: lo, max: hi,
        step: (hi - lo) / 200, ...(fixed && { disabled: "" }) }, state.start[k],
      fmt(state.start[k]), (v, out) => {
        state.start = k ? [state.start[0], v] : [v, state.start[1]];
        out.textContent = fmt(v); send();
      }));
    });
    shared.append(slider("steps", "steps", { min: 10, max: 1000, step: 10,
      ...(fixed && { disabled: "" }) }, state.steps, state.steps, (v, out) => {
      state.steps = v; out.textContent = v; send();
    }));
    controls.append(shared);
    state.optimizers.forEach((s, i) => controls.append(runnerControls(s, i, meta,
      fixed && grids[i])));
    if (!fixed) {
      const add = el("button", { name: "add" }, "+ add an optimizer");
      add.addEventListener("click", () => {
        state.optimizers.push({ optimizer: "Adam" }); send(true);
      });
      controls.append(add);
    } else {
      controls.append(el("p", { class: "mgp-note" }, "A saved page: lr and momentum (beta1 for "
        + "Adam) move over the settings computed when it was saved. Run "
        + "minigrad.viz.playground() in Jupyter for every control."));
    }
  }

  function runnerControls(s, i, meta, grid) {
    const box = el("fieldset", { class: "mgp-runner" });
    box.dataset.runner = String(i);
    box.style.borderLeftColor = COLORS[i % 6];
    const off = grid ? { disabled: "" } : {};
    const takes = meta.takes[s.optimizer];
    const change = (key, v, now = false) => { state.optimizers[i][key] = v; send(now); };
    box.append(el("legend", {}, el("span", { class: "mgp-swatch",
      style: `background:${COLORS[i % 6]}` }), ` optimizer ${i + 1}`));
    box.append(select("optimizer", "", meta.optimizers.map((o) => [o, o]), s.optimizer, (v) => {
      state.optimizers[i] = { optimizer: v }; send(true);
    }));
    if (grid) {
      const k = nearest(grid.lrs, s.lr);
      box.append(slider("lr", "lr", { min: 0, max: grid.lrs.length - 1, step: 1 }, k,
        fmt(s.lr), (v, out) => { out.textContent = fmt(grid.lrs[v]); change("lr", grid.lrs[v]); }));
    } else {
      box.append(slider("lr", "lr", { min: -4, max: 1, step: 0.01 }, Math.log10(s.lr),
        fmt(s.lr), (v, out) => {
          const rate = Number((10 ** v).toPrecision(3));
          out.textContent = fmt(rate); change("lr", rate);
        }));
    }
    if (takes.includes("momentum")) box.append(knob("momentum", s.momentum, grid, (v) => {
      change("momentum", v);
    }));
    if (takes.includes("nesterov")) {
      const tick = el("input", { type: "checkbox", name: "nesterov", ...off });
      tick.checked = s.nesterov;
      tick.addEventListener("change", () => change("nesterov", tick.checked, true));
      box.append(el("label", { class: "mgp-control" }, tick, " nesterov"));
    }
    if (takes.includes("betas")) {
      box.append(knob("beta1", s.betas[0], grid, (v) => {
        state.optimizers[i].betas = [v, state.optimizers[i].betas[1]]; send();
      }));
      const beta2 = select("beta2", "beta2", CHOICES.beta2.map((v) => [v, v]), s.betas[1], (v) => {
        state.optimizers[i].betas = [state.optimizers[i].betas[0], Number(v)]; send(true);
      });
      if (grid) beta2.querySelector("select").disabled = true;
      box.append(beta2);
    }
    if (takes.includes("weight_decay")) {
      box.append(slider("weight_decay", "weight_decay", { min: 0, max: 2, step: 0.01, ...off },
        s.weight_decay, fmt(s.weight_decay), (v, out) => {
          out.textContent = fmt(v); change("weight_decay", v);
        }));
    }
    const schedule = select("schedule", "schedule", meta.schedules.map((v) => [v, v]),
      s.schedule, (v) => change("schedule", v, true));
    const clip = select("max_norm", "clip max_norm", CHOICES.max_norm.map((v) =>
      [v, v ? String(v) : "off"]), s.max_norm, (v) => change("max_norm", Number(v), true));
    box.append(schedule, clip);
    if (grid) {
      box.querySelectorAll("select").forEach((s) => { s.disabled = true; });
    } else if (state.optimizers.length > 1) {
      const remove = el("button", { name: "remove" }, "remove");
      remove.addEventListener("click", () => { state.optimizers.splice(i, 1); send(true); });
      box.append(remove);
    }
    box.append(el("div", { class: "mgp-status" }));
    return box;
  }

  // momentum or beta1: free in Jupyter, the saved values in a saved page.
  function knob(name, value, grid, set) {
    if (grid) {
      const k = nearest(grid.knobs, value);
      return slider(name, name, { min: 0, max: grid.knobs.length - 1, step: 1 }, k, fmt(value),
        (v, out) => { out.textContent = fmt(grid.knobs[v]); set(grid.knobs[v]); });
    }
    return slider(name, name, { min: 0, max: 0.99, step: 0.01 }, value, fmt(value),
      (v, out) => { out.textContent = fmt(v); set(v); });
  }

  function draw() {
    const result = model.get("result");
    error.textContent = result.error || "";
    if (!result.error && (completes(result.state) || !controls.childElementCount)) {
      adopt(result.state);
    }
    const { view, paths } = result;
    text.textContent = view.text;
    drawContours(contour, view, paths, result.state, !result.grids && ((p) => {
      state.start = p.map((v) => Number(v.toPrecision(4)));
      buildControls(result); // the start sliders move there too
      send(true);
    }));
    const offset = view.f_min;
    drawChart(loss, paths.map((p) => p.losses.map((v) => (v === null ? null : v - offset))),
      { title: offset ? `loss - min (${fmt(offset, 4)}), log scale` : "loss, log scale",
        log: true });
    drawChart(lr, paths.map((p) => p.lrs), { title: "learning rate", log: false });
    grad.innerHTML = gradientTable(result.gradient);
    paths.forEach((p, i) => {
      const status = controls.querySelector(`fieldset[data-runner="${i}"] .mgp-status`);
      if (!status) return;
      const last = p.losses[p.losses.length - 1];
      status.textContent = p.diverged
        ? `diverged: left the picture for good after step ${p.diverged}`
        : `${label(result.state.optimizers[i])}: loss ${fmt(last, 4)} after ${p.lrs.length} steps`;
    });
  }

  model.on("change:result", draw);
  draw();
  return () => { clearTimeout(timer); model.off("change:result", draw); };
}

function nearest(values, v) {
  let best = 0;
  values.forEach((x, k) => { if (Math.abs(x - v) < Math.abs(values[best] - v)) best = k; });
  return best;
}

// The saved page's stand-in for the kernel: a model whose "result" is looked up in the grid.
function staticModel(data) {
  const handlers = [];
  let result = lookUp(data.state);
  function lookUp(state) {
    const saved = data.surfaces[state.surface];
    const optimizers = state.optimizers.length === saved.optimizers.length
      ? state.optimizers : saved.optimizers;
    const snapped = saved.optimizers.map((s, i) => {
      const g = saved.grids[i];
      const li = nearest(g.lrs, optimizers[i].lr ?? s.lr);
      const given = g.knob === "beta1" ? (optimizers[i].betas || s.betas)[0]
        : optimizers[i].momentum ?? s.momentum;
      const ki = g.knob ? nearest(g.knobs, given) : 0;
      const out = { ...s, lr: g.lrs[li] };
      if (g.knob === "momentum") out.momentum = g.knobs[ki];
      if (g.knob === "beta1") out.betas = [g.knobs[ki], s.betas[1]];
      return { settings: out, path: { ...g.runs[li][ki], lrs: g.rates[li] } };
    });
    return {
      view: saved.view,
      gradient: saved.gradient,
      paths: snapped.map((s) => s.path),
      grids: saved.grids.map(({ lrs, knob, knobs }) => ({ lrs, knob, knobs })),
      meta: data.meta,
      state: { ...state, surface: state.surface, start: saved.start, steps: data.state.steps,
        optimizers: snapped.map((s) => s.settings) },
    };
  }
  let pending = data.state;
  return {
    get: (name) => (name === "result" ? result : name === "state" ? pending : undefined),
    set: (name, value) => { if (name === "state") pending = value; },
    save_changes: () => { result = lookUp(pending); handlers.forEach((f) => f()); },
    on: (event, f) => { if (event === "change:result") handlers.push(f); },
    off: (event, f) => { handlers.splice(handlers.indexOf(f), 1); },
  };
}

export { render, staticModel };
export default { render };

// The live board (see live.py): polls a feed and draws its views with no Streamlit rerun.
// Everything is drawn from plain data: text through textContent, pictures on canvases.

const ACTIVE = new Set(["running", "queued"]);

function palette(colours) {
  // 256 RGBA entries: code 0 transparent, 1..255 from colours[0] (-1) through colours[1] (0) to colours[2] (+1);
  // n colours are n evenly spaced stops from -1 to +1 in general.
  const rgb = colours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
  const table = new Uint8ClampedArray(256 * 4);
  for (let code = 1; code < 256; code++) {
    const at = ((code - 1) / 254) * (rgb.length - 1);
    const i = Math.min(Math.floor(at), rgb.length - 2), f = at - i;
    const [a, b] = [rgb[i], rgb[i + 1]];
    for (let k = 0; k < 3; k++) table[code * 4 + k] = Math.round(a[k] + (b[k] - a[k]) * f);
    table[code * 4 + 3] = 255;
  }
  return table;
}

function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => span / s <= count) || 10 * power;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function formatTick(v, format, step) {
  if (format === "percent") return `${Math.round(v * 100)}%`;
  if (Math.abs(v) >= 10000) return v.toLocaleString("en-US", { maximumFractionDigits: 0 });
  const digits = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) + 1e-9));
  return v.toFixed(digits);
}

function sized(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

function font(px, bold) {
  return `${bold ? "bold " : ""}${px}px Inter, "Helvetica Neue", Arial, sans-serif`;
}

function drawChart(canvas, panel, chart, scale) {
  const width = canvas.clientWidth || canvas.parentElement.clientWidth || 400;
  const height = Math.round(panel.height * scale);
  const ctx = sized(canvas, width, height);
  const fs = Math.round(12 * scale);
  const m = { l: Math.round(58 * scale), r: 12, t: Math.round(30 * scale), b: Math.round(42 * scale) };
  const series = (chart && chart.series) || [];
  let xs = [], ys = [];
  for (const s of series) for (let i = 0; i < s.x.length; i++) if (s.y[i] !== null && s.x[i] !== null) { xs.push(s.x[i]); ys.push(s.y[i]); }
  ctx.font = font(fs);
  ctx.fillStyle = "#31333F";
  if (!xs.length) {
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(panel.empty || "No epochs yet", width / 2, height / 2);
    return;
  }
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x1 <= x0) x1 = x0 + 1;
  let [y0, y1] = panel.y_range || [Math.min(0, Math.min(...ys)), Math.max(...ys)];
  if (!panel.y_range) y1 = y1 + (y1 - y0) * 0.05;
  if (!(y1 > y0)) y1 = y0 + 1;
  const pw = width - m.l - m.r, ph = height - m.t - m.b;
  const X = (v) => m.l + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v) => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
  // grid and ticks
  ctx.strokeStyle = "#E5E5E5";
  ctx.lineWidth = 1;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  const yt = niceTicks(y0, y1, 5);
  const ystep = yt.length > 1 ? yt[1] - yt[0] : 1;
  for (const v of yt) {
    ctx.beginPath(); ctx.moveTo(m.l, Y(v)); ctx.lineTo(m.l + pw, Y(v)); ctx.stroke();
    ctx.fillText(formatTick(v, panel.y_format, ystep), m.l - 6, Y(v));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const xt = niceTicks(x0, x1, Math.max(2, Math.floor(pw / (70 * scale)))).filter((v) => Number.isInteger(v) || x1 - x0 < 10);
  const xstep = xt.length > 1 ? xt[1] - xt[0] : 1;
  for (const v of xt) {
    ctx.beginPath(); ctx.moveTo(X(v), m.t); ctx.lineTo(X(v), m.t + ph); ctx.stroke();
    ctx.fillText(formatTick(v, "number", xstep), X(v), m.t + ph + 5);
  }
  ctx.strokeStyle = "#444444";
  ctx.beginPath(); ctx.moveTo(m.l, m.t); ctx.lineTo(m.l, m.t + ph); ctx.lineTo(m.l + pw, m.t + ph); ctx.stroke();
  ctx.fillText(panel.x_title, m.l + pw / 2, height - fs - 4);
  ctx.save();
  ctx.translate(12, m.t + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "top";
  ctx.fillText(panel.y_title, 0, 0);
  ctx.restore();
  // lines, clipped to the plot
  ctx.save();
  ctx.beginPath(); ctx.rect(m.l, m.t - 2, pw + 2, ph + 4); ctx.clip();
  ctx.lineWidth = 2 * scale;
  ctx.lineJoin = "round";
  for (const s of series) {
    ctx.strokeStyle = s.color;
    // "dash": dashes at full width (training curves); any other true value: a thin dotted line (a level).
    ctx.setLineDash(s.dash === "dash" ? [6 * scale, 4 * scale] : s.dash ? [2 * scale, 4 * scale] : []);
    ctx.lineWidth = (s.dash && s.dash !== "dash" ? 1 : 2) * scale;
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      if (s.y[i] === null || s.x[i] === null) { pen = false; continue; }
      if (pen) ctx.lineTo(X(s.x[i]), Y(s.y[i])); else ctx.moveTo(X(s.x[i]), Y(s.y[i]));
      pen = true;
    }
    ctx.stroke();
    if (s.dots || s.x.length === 1) {
      ctx.fillStyle = s.color;
      for (let i = 0; i < s.x.length; i++) {
        if (s.y[i] === null || s.x[i] === null) continue;
        ctx.beginPath(); ctx.arc(X(s.x[i]), Y(s.y[i]), 3 * scale, 0, 2 * Math.PI); ctx.fill();
      }
    }
  }
  ctx.restore();
  // legend
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  ctx.setLineDash([]);
  let lx = m.l;
  for (const s of series) {
    if (s.legend === false) continue;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2 * scale;
    ctx.beginPath(); ctx.moveTo(lx, m.t / 2); ctx.lineTo(lx + 22 * scale, m.t / 2); ctx.stroke();
    ctx.fillStyle = "#31333F";
    ctx.fillText(s.name, lx + 27 * scale, m.t / 2);
    lx += 27 * scale + ctx.measureText(s.name).width + 18 * scale;
  }
}

const scratch = { canvases: [] };

function imageCanvas(image, table, index) {
  // Decoded into a small canvas kept between redraws (one per image slot), pixel by pixel from the table.
  const text = atob(image.data);
  let off = scratch.canvases[index];
  if (!off) off = scratch.canvases[index] = document.createElement("canvas");
  if (off.width !== image.cols || off.height !== image.rows) { off.width = image.cols; off.height = image.rows; }
  const context = off.getContext("2d");
  const pixels = context.createImageData(image.cols, image.rows);
  const out = pixels.data;
  for (let r = 0; r < image.rows; r++) {
    const src = (image.rows - 1 - r) * image.cols; // row 0 is at the bottom
    let dst = r * image.cols * 4;
    for (let c = 0; c < image.cols; c++, dst += 4) {
      const code = text.charCodeAt(src + c) * 4;
      out[dst] = table[code]; out[dst + 1] = table[code + 1]; out[dst + 2] = table[code + 2]; out[dst + 3] = table[code + 3];
    }
  }
  context.putImageData(pixels, 0, 0);
  return off;
}

function drawMarkers(ctx, group, X, Y, scale) {
  const size = (group.size || 8) * scale;
  ctx.lineWidth = (group.edge_width || 1) * scale;
  ctx.strokeStyle = group.edge || "#555555";
  if (group.symbol === "cross") {
    // Thin crosses (x) in the group's colour, all in one path.
    const h = size / 2;
    ctx.strokeStyle = group.color;
    ctx.beginPath();
    for (let i = 0; i < group.x.length; i++) {
      if (group.x[i] === null || group.y[i] === null) continue;
      const x = X(group.x[i]), y = Y(group.y[i]);
      ctx.moveTo(x - h, y - h); ctx.lineTo(x + h, y + h);
      ctx.moveTo(x - h, y + h); ctx.lineTo(x + h, y - h);
    }
    ctx.stroke();
    return;
  }
  for (let i = 0; i < group.x.length; i++) {
    ctx.fillStyle = Array.isArray(group.color) ? group.color[i] : group.color;
    ctx.beginPath();
    if (group.symbol === "square") ctx.rect(X(group.x[i]) - size / 2, Y(group.y[i]) - size / 2, size, size);
    else ctx.arc(X(group.x[i]), Y(group.y[i]), size / 2, 0, 2 * Math.PI);
    ctx.fill();
    if (group.edge) ctx.stroke();
  }
}

function drawScene(canvas, panel, scene, table, scale) {
  const frame = panel.frame;
  const width = canvas.clientWidth || canvas.parentElement.clientWidth || 400;
  const [ml, mr, mt, mb] = panel.margin.map((v) => v * scale);
  const [x0, x1] = frame.x_range, [y0, y1] = frame.y_range;
  let pw = width - ml - mr;
  let unit = pw / (x1 - x0);
  if (panel.height) unit = Math.min(unit, (panel.height * scale - mt - mb) / (y1 - y0));
  const height = unit * (y1 - y0) + mt + mb;
  pw = unit * (x1 - x0);
  const ph = unit * (y1 - y0);
  const left = ml + Math.max(0, (width - ml - mr - pw) / 2);
  const ctx = sized(canvas, width, Math.round(height));
  const X = (v) => left + (v - x0) * unit;
  const Y = (v) => mt + ph - (v - y0) * unit;
  const fs = Math.round((frame.font || 12) * scale);
  scene = scene || {};
  ctx.save();
  ctx.beginPath(); ctx.rect(left, mt, pw, ph); ctx.clip();
  ctx.imageSmoothingEnabled = true;
  (scene.images || []).forEach((image, i) => {
    ctx.drawImage(imageCanvas(image, table, i), X(image.x), Y(image.y + image.h), image.w * unit, image.h * unit);
  });
  if (frame.markers && frame.markers.length) {
    // What stays put (the data points) is drawn once into a layer of its own, then copied each time.
    const key = `${width}x${height}`;
    if (!panel.layer || panel.layer.key !== key) {
      const layer = document.createElement("canvas");
      const lctx = sized(layer, width, Math.round(height));
      for (const group of frame.markers) drawMarkers(lctx, group, X, Y, scale);
      panel.layer = { key, canvas: layer };
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(panel.layer.canvas, 0, 0);
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  }
  ctx.lineCap = "butt";
  for (const group of scene.lines || []) {
    ctx.strokeStyle = group.color;
    ctx.lineWidth = group.width * scale;
    ctx.beginPath();
    for (let i = 0; i + 3 < group.xy.length; i += 4) {
      ctx.moveTo(X(group.xy[i]), Y(group.xy[i + 1]));
      ctx.lineTo(X(group.xy[i + 2]), Y(group.xy[i + 3]));
    }
    ctx.stroke();
  }
  for (const group of scene.markers || []) drawMarkers(ctx, group, X, Y, scale);
  ctx.restore();
  ctx.fillStyle = "#31333F";
  ctx.textBaseline = "middle";
  // The frame's texts stay put; a scene's own (labels on moving boxes) change with each answer.
  for (const t of [...(frame.texts || []), ...(scene.texts || [])]) {
    ctx.font = font(fs, t.bold);
    ctx.textAlign = t.anchor === "end" ? "right" : t.anchor === "start" ? "left" : "center";
    if (t.color) { ctx.lineWidth = 3; ctx.strokeStyle = "#FFFFFF"; ctx.strokeText(t.text, X(t.x), Y(t.y)); }
    ctx.fillStyle = t.color || "#31333F";
    ctx.fillText(t.text, X(t.x), Y(t.y));
  }
  ctx.fillStyle = "#31333F";
  if (frame.axes) {
    ctx.font = font(fs);
    ctx.strokeStyle = "#444444";
    ctx.lineWidth = 1;
    ctx.strokeRect(left, mt, pw, ph);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of frame.axes.ticks) ctx.fillText(String(v).replace("-", "−"), X(v), mt + ph + 4);
    ctx.fillText(frame.axes.x, left + pw / 2, mt + ph + fs + 10);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of frame.axes.ticks) ctx.fillText(String(v).replace("-", "−"), left - 5, Y(v));
    ctx.fillText(frame.axes.y, left - fs * 1.8, mt + ph / 2);
  }
  if (frame.colorbar) {
    const bx = left + pw + 14 * scale, bw = 14 * scale, by = mt + ph * 0.1, bh = ph * 0.8;
    const gradient = ctx.createLinearGradient(0, by + bh, 0, by);
    const colours = panel.colours;
    gradient.addColorStop(0, colours[0]); gradient.addColorStop(0.5, colours[1]); gradient.addColorStop(1, colours[2]);
    ctx.fillStyle = gradient;
    ctx.fillRect(bx, by, bw, bh);
    ctx.strokeStyle = "#999999";
    ctx.strokeRect(bx, by, bw, bh);
    ctx.fillStyle = "#31333F";
    ctx.font = font(fs);
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    frame.colorbar.labels.forEach((label, i) => ctx.fillText(label, bx + bw + 4, by + bh - (bh * i) / 2));
    ctx.textBaseline = "bottom";
    ctx.fillText(frame.colorbar.title, bx, by - fs / 2 - 6);
  }
}

function statusLine(view) {
  const parts = [view.status];
  if (view.epochs) {
    // Within a long epoch (MNIST on a CPU: a minute or more) the share of it done shows it moving.
    const within = view.fraction > 0 && view.fraction < 1 ? ` (${Math.floor(view.fraction * 100)} % of it)` : "";
    const at = Math.min(Math.max(view.epoch, 0), view.epochs);
    parts.push(`${view.unit || "epoch"} ${at.toLocaleString("en-US")} of ${view.epochs.toLocaleString("en-US")}${within}`);
  }
  if (view.speed) parts.push(`${Math.round(view.speed).toLocaleString("en-US")} samples/s`);
  parts.push(`device: ${view.device || "…"}`);
  return parts.join(" · ");
}

function build(root, panels, parts) {
  for (const panel of panels) {
    if (panel.kind === "row") {
      const row = document.createElement("div");
      row.className = "np-row";
      root.appendChild(row);
      build(row, panel.items, parts);
      continue;
    }
    const el = document.createElement("div");
    el.className = `np-${panel.kind}-panel`;
    root.appendChild(el);
    const part = { panel, el };
    if (panel.kind === "metrics") {
      el.className = "np-metrics";
      part.values = {};
      for (const key of panel.keys) {
        const box = document.createElement("div");
        box.className = "np-metric";
        box.setAttribute("data-testid", "npLiveMetric");
        const label = document.createElement("div");
        label.className = "np-metric-label";
        label.textContent = key;
        const value = document.createElement("div");
        value.className = "np-metric-value";
        value.textContent = "–";
        box.append(label, value);
        el.appendChild(box);
        part.values[key] = value;
      }
    } else if (panel.kind === "status") {
      part.note = document.createElement("div");
      part.note.className = "np-note";
      part.note.style.display = "none";
      part.line = document.createElement("div");
      part.line.className = "np-status";
      const title = document.createElement("b");
      title.textContent = panel.title;
      part.text = document.createElement("span");
      part.line.append(title, " · ", part.text);
      const bar = document.createElement("div");
      bar.className = "np-bar";
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.setAttribute("aria-label", "training progress");
      bar.setAttribute("data-testid", "npLiveProgress");
      part.fill = document.createElement("div");
      bar.appendChild(part.fill);
      part.bar = bar;
      el.append(part.note, part.line, bar);
    } else if (panel.kind === "text") {
      part.box = document.createElement("pre");
      part.box.className = "np-text";
      part.box.style.height = `${panel.height}px`;
      part.box.setAttribute("data-testid", "npLiveText");
      part.box.textContent = panel.empty;
      el.appendChild(part.box);
    } else {
      part.canvas = document.createElement("canvas");
      el.appendChild(part.canvas);
    }
    parts.push(part);
  }
}

function drawText(parts, view) {
  for (const { panel, ...part } of parts) {
    if (panel.kind === "metrics") {
      for (const key of panel.keys) {
        const text = (view.metrics || {})[key];
        if (text !== undefined && part.values[key].textContent !== text) part.values[key].textContent = text;
      }
    } else if (panel.kind === "status") {
      part.text.textContent = statusLine(view);
      const percent = (Math.round((view.progress || 0) * 1000) / 10).toFixed(1); // the bar moves in 0.1 % steps
      part.fill.style.width = `${percent}%`;
      part.bar.setAttribute("aria-valuenow", percent);
      const note = view.status === "queued" && view.queue_position ? `Waiting for a free worker: place ${view.queue_position} in line.`
        : view.error || "";
      part.note.textContent = note;
      part.note.className = view.error ? "np-note np-error" : "np-note";
      part.note.style.display = note ? "" : "none";
    } else if (panel.kind === "text") {
      const text = (view.texts || {})[panel.id];
      if (text !== undefined && part.box.textContent !== text) part.box.textContent = text;
    }
  }
}

function drawPictures(parts, view, table, scale) {
  for (const { panel, ...part } of parts) {
    if (panel.kind === "chart") drawChart(part.canvas, panel, (view.charts || {})[panel.id], scale);
    else if (panel.kind === "scene") {
      panel.colours = table.colours;
      drawScene(part.canvas, panel, (view.scenes || {})[panel.id], table.codes, scale);
    }
  }
}

// One poller per feed, shared by the boards of a page that read it: one request serves them all.
const pollers = (window.__npLivePollers = window.__npLivePollers || new Map());

function subscribe(url, interval, board) {
  let poller = pollers.get(url);
  if (!poller) {
    poller = { boards: new Set(), timer: null, stopped: false };
    const tick = async () => {
      if (poller.stopped) return;
      const began = performance.now();
      let view = null;
      try {
        const response = await fetch(url, { cache: "no-store" });
        view = response.status === 404 ? { status: "gone" } : response.ok ? await response.json() : null;
      } catch (e) {
        view = null; // the server is busy or restarting: try again at the next tick
      }
      if (poller.stopped) return;
      const trip = performance.now() - began;
      if (view) for (const b of poller.boards) b.update(view, trip);
      if (view && !ACTIVE.has(view.status)) { unsubscribeAll(url); return; }
      // One request at a time: the next one goes `interval` after this one went (at once if it was slower).
      poller.timer = setTimeout(tick, Math.max(0, interval - trip));
    };
    poller.start = () => { poller.timer = setTimeout(tick, interval); };
    pollers.set(url, poller);
    poller.start();
  }
  poller.boards.add(board);
  return () => {
    poller.boards.delete(board);
    if (!poller.boards.size) unsubscribeAll(url);
  };
}

function unsubscribeAll(url) {
  const poller = pollers.get(url);
  if (!poller) return;
  poller.stopped = true;
  clearTimeout(poller.timer);
  pollers.delete(url);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (parentElement.__npStop) parentElement.__npStop();
  parentElement.replaceChildren();
  const root = document.createElement("div");
  root.className = "np-live";
  root.style.setProperty("--np-scale", String(data.scale));
  if (data.css) {
    const style = document.createElement("style");
    style.textContent = data.css;
    root.appendChild(style);
  }
  parentElement.appendChild(root);
  const parts = [];
  build(root, data.panels, parts);
  const table = { codes: palette(data.palette), colours: data.palette };
  const wanted = data.only ? new Set(data.only) : null;
  let last = data.first;
  let ended = false;
  // Numbers and the progress bar change with every answer; the pictures are drawn in the next
  // animation frame (the same frame that shows the new numbers, and none while the tab is hidden).
  // On a busy machine (answers take longer to come: a few milliseconds when it is quiet) the
  // pictures are redrawn less often, at most once per fifteen round trips, so that the numbers keep
  // moving with every answer while the browser's drawing leaves time for the server and training.
  let frame = null, trip = 0, drawnAt = -1e9, stopped = false, retry = null;
  // The rerun that replaces this board with the finished page. Should it not come (a busy server
  // may drop a trigger that arrives while another run is starting), ask again every few seconds
  // until the page unmounts the board.
  const askForRerun = (status, attempt) => {
    if (stopped) return;
    setTriggerValue("ended", `${status}:${data.token}:${attempt}`);
    retry = setTimeout(() => askForRerun(status, attempt + 1), 4000);
  };
  const render = () => {
    frame = null;
    const now = performance.now();
    if (now - drawnAt < Math.max(0.8 * data.interval, 15 * trip)) return;
    drawnAt = now;
    drawPictures(parts, last, table, data.scale);
    window.__npPictures = (window.__npPictures || 0) + 1;
  };
  const redraw = () => { if (!frame) frame = requestAnimationFrame(render); };
  const update = (view, seconds) => {
    if (ended) return;
    if (seconds !== undefined) trip = trip ? 0.7 * trip + 0.3 * seconds : seconds;
    if (wanted && view.status !== "gone") {
      view = { ...view, charts: Object.fromEntries(Object.entries(view.charts || {}).filter(([k]) => wanted.has(k))),
               scenes: Object.fromEntries(Object.entries(view.scenes || {}).filter(([k]) => wanted.has(k))) };
    }
    if (view.status !== "gone") {
      last = view;
      drawText(parts, view);
      redraw();
    }
    if (!ACTIVE.has(view.status)) {
      ended = true;
      if (data.notify) askForRerun(view.status, 1);
    }
  };
  if (last) { drawText(parts, last); drawPictures(parts, last, table, data.scale); }
  const observer = new ResizeObserver(() => { if (last) { drawnAt = -1e9; redraw(); } });
  observer.observe(root);
  const leave = !last || ACTIVE.has(last.status) ? subscribe(data.url, data.interval, { update }) : () => {};
  const stop = () => {
    ended = true; stopped = true; clearTimeout(retry); cancelAnimationFrame(frame); observer.disconnect(); leave();
  };
  parentElement.__npStop = stop;
  return stop;
}

/// The live view's one page, served from the binary: no outside assets, no script library.
/// It shows the MJPEG stream and, beside it, the figures pushed by `/events` four times a second.
enum LivePage {
  static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>gridstitch live</title>
    <style>
    :root { color-scheme: dark; --fg: #eee; --dim: #9a9a9a; --bg: #111; --card: #1c1c1c; --live: #3ecf6e;
            --lost: #ff5c5c; --accent: #4da3ff; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--fg); font: clamp(14px, 1.1vw, 22px)/1.35 system-ui, sans-serif; }
    header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; padding: .8rem 1.2rem; }
    h1 { margin: 0; font-size: 1.4em; }
    #status { padding: .1em .6em; border-radius: 1em; background: #333; font-weight: 600; }
    #status.running { background: #174d2a; color: var(--live); }
    #status.finished { background: #1c3656; color: var(--accent); }
    #status.interrupted, #status.offline { background: #5a1d1d; color: var(--lost); }
    #setup { color: var(--dim); }
    main { display: grid; gap: 1rem; padding: 0 1.2rem 1.2rem; grid-template-columns: 1fr; }
    @media (min-width: 1000px) { main { grid-template-columns: minmax(0, 3fr) minmax(21em, 1fr); } }
    #grid { width: 100%; height: auto; max-height: calc(100vh - 5em); object-fit: contain; background: #000;
            display: block; border-radius: 6px; }
    aside { display: flex; flex-direction: column; gap: 1rem; }
    .card { background: var(--card); border-radius: 8px; padding: .8rem 1rem; }
    .figures { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: .6rem 1rem; }
    .figure .value { font-size: 1.5em; font-weight: 700; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .figure .label { color: var(--dim); font-size: .85em; }
    .run { color: var(--dim); font-size: .9em; }
    .run b { color: var(--fg); font-weight: 600; }
    svg { width: 100%; height: 6em; display: block; }
    #cameras { display: grid; gap: .1em .8em; grid-template-columns: repeat(auto-fill, minmax(19em, 1fr));
               font-variant-numeric: tabular-nums; font-size: .8em; line-height: 1.25; }
    .camera { display: grid; grid-template-columns: 2.6em 8.5em 1fr 1fr; gap: .4em; align-items: baseline; }
    .camera .frames, .camera .sequence { text-align: right; } .camera .state { white-space: nowrap; }
    .camera .name { font-weight: 700; } .camera .frames, .camera .sequence { color: var(--dim); }
    .named .camera { grid-template-columns: 8em 8.5em 1fr 1fr; }
    .camera .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .state { font-weight: 600; }
    .camera .source { grid-column: 1 / -1; color: var(--dim); overflow: hidden; text-overflow: ellipsis;
                      white-space: nowrap; margin: -.2em 0 .2em 3em; }
    .camera .source.no-signal, .camera .source.reconnecting { color: #ff6b6b; }
    .state.live { color: var(--live); } .state.lost { color: var(--lost); } .state.waiting { color: var(--dim); }
    #summary { white-space: pre-wrap; font: .85em/1.35 ui-monospace, monospace; margin: 0; }
    #ended[hidden] { display: none; }
    </style></head>
    <body>
    <header><h1>gridstitch live</h1><span id="status">connecting</span><span id="setup"></span></header>
    <main>
      <section><img id="grid" src="/stream.mjpg" alt="the stitched grid, live"></section>
      <aside>
        <div class="card" id="ended" hidden><b>The run has ended.</b><pre id="summary"></pre></div>
        <div class="card figures">
          <div class="figure"><div class="value" id="rate">–</div><div class="label">grids/s (last second)</div></div>
          <div class="figure"><div class="value" id="frames-rate">–</div><div class="label">frames/s (last second)</div></div>
          <div class="figure"><div class="value" id="latency">–</div><div class="label" id="latency-label">latency p50 / p99 (ms)</div></div>
          <div class="figure"><div class="value" id="spread">–</div><div class="label">capture spread p50 / p99 (ms)</div></div>
          <div class="figure"><div class="value" id="grids">–</div><div class="label">grids stitched</div></div>
          <div class="figure"><div class="value" id="average">–</div><div class="label">grids/s since start</div></div>
        </div>
        <div class="card run">transport <b id="transport">–</b> · policy <b id="policy">–</b> · load <b id="load">–</b>
          · sync <b id="sync">–</b>
          · <b id="shape">–</b></div>
        <div class="card"><div class="run">grids/s, last 60 s</div>
          <svg id="chart" viewBox="0 0 600 100" preserveAspectRatio="none" role="img" aria-label="grids per second, last 60 seconds">
            <polyline id="line" fill="none" stroke="#4da3ff" stroke-width="2" vector-effect="non-scaling-stroke" points=""/>
          </svg><div class="run" id="chart-max"></div></div>
        <div class="card"><div class="run">cameras: state · frames taken · last sequence</div>
          <div id="cameras"></div></div>
      </aside>
    </main>
    <script>
    "use strict";
    const $ = (id) => document.getElementById(id);
    const samples = [];   // [run seconds, grids, frames] of the last second, for the rates now
    const history = [];   // [run seconds, grids/s] of the last 60 s, for the chart
    let ended = false;
    const fmt = (v, d) => (v === undefined || v === null) ? "–" : Number(v).toFixed(d);

    function ratesNow(s) {
      samples.push([s.seconds, s.grids, s.frames]);
      while (samples.length > 2 && s.seconds - samples[1][0] >= 1) samples.shift();
      const [t0, g0, f0] = samples[0];
      const dt = s.seconds - t0;
      return dt > 0 ? [(s.grids - g0) / dt, (s.frames - f0) / dt] : [s.fps, s.frames_per_s];
    }

    function chart(seconds, rate) {
      history.push([seconds, rate]);
      while (history.length && seconds - history[0][0] > 60) history.shift();
      const top = Math.max(1, ...history.map((p) => p[1])) * 1.1;
      $("line").setAttribute("points", history.map(([t, r]) =>
        `${(600 - (seconds - t) * 10).toFixed(1)},${(100 - r / top * 100).toFixed(1)}`).join(" "));
      $("chart-max").textContent = `top of chart: ${top.toFixed(0)} grids/s`;
    }

    function cameras(states) {
      const list = $("cameras");
      list.classList.toggle("named", states.some((c) => c.name));  // imagezmq senders have names
      if (list.children.length !== states.length) {
        list.replaceChildren(...states.map((c) => {
          const row = document.createElement("div");
          row.id = `camera-${c.camera}`;
          row.className = "camera";
          row.innerHTML = `<span class="name"></span>` +
            `<span class="state"></span><span class="frames"></span><span class="sequence"></span>` +
            `<span class="source"></span>`;
          return row;
        }));
      }
      for (const c of states) {
        const row = $(`camera-${c.camera}`);
        row.querySelector(".name").textContent = c.name ?? `C${String(c.camera).padStart(2, "0")}`;
        const state = row.querySelector(".state");
        state.className = `state ${c.state}`;
        state.textContent = c.state === "lost" ? "lost: NO SIGNAL" : c.state;
        row.querySelector(".frames").textContent = c.frames;
        row.querySelector(".sequence").textContent = c.last_sequence === null ? "" : `#${c.last_sequence}`;
        // A camera filming a file or stream: the source and its state (playing, no signal,
        // reconnecting, ended), with its rate and errors.
        const source = row.querySelector(".source");
        source.hidden = c.source === undefined;
        if (c.source !== undefined) {
          source.className = `source ${String(c.source_state).replace(" ", "-")}`;
          source.textContent = `${c.source ?? "remote source"} · ${c.source_state} · ` +
            `${fmt(c.source_fps ?? 0, 1)} fps · ${c.decode_errors} decode errors · ${c.reconnects} reconnects`;
        }
      }
    }

    function show(s) {
      const [rate, framesRate] = s.running ? ratesNow(s) : [s.fps, s.frames_per_s];
      $("rate").textContent = fmt(rate, 1);
      $("frames-rate").textContent = fmt(framesRate, 0);
      const ms = (us) => (us === undefined || us === null) ? "–" : fmt(us / 1000, us < 10000 ? 2 : us < 100000 ? 1 : 0);
      // imagezmq frames carry no capture time: their latency runs from arrival.
      const arrival = s.arrival_latency_p50_us !== undefined;
      $("latency-label").textContent = arrival ? "arrival → stitched p50 / p99 (ms)" : "latency p50 / p99 (ms)";
      $("latency").textContent = arrival ? `${ms(s.arrival_latency_p50_us)} / ${ms(s.arrival_latency_p99_us)}`
        : `${ms(s.latency_p50_us)} / ${ms(s.latency_p99_us)}`;
      $("spread").textContent = `${ms(s.capture_spread_p50_us)} / ${ms(s.capture_spread_p99_us)}`;
      $("grids").textContent = s.grids;
      $("average").textContent = fmt(s.fps, 1);
      $("transport").textContent = s.transport;
      $("policy").textContent = s.policy;
      $("load").textContent = s.load ?? "–";
      $("sync").textContent = s.sync ?? (s.load === null ? "–" : "free");
      $("shape").textContent = `${s.cameras} × ${s.width}×${s.height}×${s.channels}`;
      $("setup").textContent = `set-up ${fmt(s.setup_seconds, 2)} s · run ${fmt(s.seconds, 1)} s`;
      chart(s.seconds, rate);
      cameras(s.camera_states || []);
      const status = $("status");
      const state = s.running ? "running" : (s.interrupted_by_signal ? "interrupted" : "finished");
      status.textContent = state;
      status.className = state;
    }

    const events = new EventSource("/events");
    events.onmessage = (e) => show(JSON.parse(e.data));
    events.addEventListener("end", (e) => {
      const s = JSON.parse(e.data);
      ended = true;
      show(s);
      $("summary").textContent = s.summary || "";
      $("ended").hidden = false;
      events.close();
    });
    events.onerror = () => {
      if (!ended) { $("status").textContent = "offline"; $("status").className = "offline"; }
    };
    </script>
    </body></html>
    """
}

// Storyboard previews over the timeline: a WebVTT file whose cues name a tile of a picture
// sheet, "storyboard-NNN.jpg#xywh=x,y,w,h", or, while a film is encoded in chunks, /play's grid of
// the tiles drawn so far, which grows with every renewal. Parsing and lookup are pure
// (tests/js/storyboard.test.mjs); ``loadStoryboard`` fetches the signed VTT.

// The cues of a storyboard VTT: {start, end, sheet, x, y, w, h}; blocks that are not cues are skipped.
export function parseStoryboard(vtt) {
  const stamp = (s) => s.split(":").reduce((sum, part) => sum * 60 + parseFloat(part), 0);
  const cues = [];
  const blocks = vtt.replace(/\r/g, "").split(/\n\n+/);
  for (const block of blocks) {
    const lines = block.split("\n");
    const timing = lines.findIndex((line) => line.includes("-->"));
    if (timing < 0 || !lines[timing + 1]) continue;
    const [start, end] = lines[timing].split("-->").map((s) => stamp(s.trim().split(/\s/)[0]));
    const match = /^([^#\s]+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[timing + 1].trim());
    if (!match) continue;
    cues.push({ start, end, sheet: match[1], x: +match[2], y: +match[3], w: +match[4], h: +match[5] });
  }
  return cues;
}

// The cues of a film still being encoded, from /play's grid: each part's tiles ``first`` ..
// ``first + count - 1`` in order on its sheets of ``columns`` x ``rows``; tile i shows the film
// at i * interval. The same layout as the finished film's VTT (workers/media/pictures.py).
export function gridCues(grid) {
  const cues = [];
  const end = grid.duration || Infinity;
  for (const part of grid.parts) {
    const perSheet = grid.columns * part.rows;
    const count = Math.min(part.count, part.sheets.length * perSheet);
    for (let n = 0; n < count; n += 1) {
      const start = (part.first + n) * grid.interval;
      if (start >= end) break;
      const slot = n % perSheet;
      cues.push({
        start, end: Math.min(start + grid.interval, end), sheet: part.sheets[Math.floor(n / perSheet)],
        x: (slot % grid.columns) * grid.width, y: Math.floor(slot / grid.columns) * grid.height,
        w: grid.width, h: grid.height,
      });
    }
  }
  return cues.sort((a, b) => a.start - b.start);
}

// The cue shown at ``t``: the one whose span holds it, else the last (the film's end); while the
// storyboard is ``growing`` (a film being encoded), none where no tile is drawn yet.
export function cueAt(cues, t, growing = false) {
  const cue = cues.find((c) => t >= c.start && t < c.end);
  return cue || (growing ? null : cues[cues.length - 1] || null);
}

// CSS for one tile of a sheet at ``url``; the URL is quoted so it cannot end the url().
export function tileStyle(cue, url) {
  return {
    backgroundImage: `url("${encodeURI(url).replace(/"/g, "%22")}")`,
    backgroundPosition: `-${cue.x}px -${cue.y}px`,
    width: `${cue.w}px`,
    height: `${cue.h}px`,
  };
}

// The cues of ``media.storyboard``, or none: previews are a help, not a requirement.
export async function loadStoryboard(media, fetchImpl = fetch) {
  if (!media.storyboard) return [];
  if (media.storyboard.grid) return gridCues(media.storyboard.grid);
  try {
    const response = await fetchImpl(media.storyboard.vtt, { credentials: "omit" });
    return response.ok ? parseStoryboard(await response.text()) : [];
  } catch (_e) {
    return [];
  }
}

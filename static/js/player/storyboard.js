// Storyboard previews over the timeline: a WebVTT file whose cues name a tile of a picture
// sheet, "storyboard-NNN.jpg#xywh=x,y,w,h". Parsing and lookup are pure (tests/js/storyboard.test.mjs);
// ``loadStoryboard`` fetches the signed VTT once.

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

// The cue shown at ``t``: the one whose span holds it, else the last (the film's end).
export function cueAt(cues, t) {
  return cues.find((c) => t >= c.start && t < c.end) || cues[cues.length - 1] || null;
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
  try {
    const response = await fetchImpl(media.storyboard.vtt, { credentials: "omit" });
    return response.ok ? parseStoryboard(await response.text()) : [];
  } catch (_e) {
    return [];
  }
}

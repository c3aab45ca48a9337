// Times as people read and write them on the player page: "m:ss", "h:mm:ss", "0:12.5".
// Pure functions, no DOM: unit-tested under Node (tests/js/time.test.mjs).

// "m:ss" (or "h:mm:ss"); with ``tenths`` one decimal, for the in/out fields.
export function timecode(seconds, tenths) {
  const t = Math.max(0, seconds || 0);
  const whole = tenths ? Math.floor(t) : Math.floor(t + 1e-6);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  let out = (h ? `${h}:${String(m).padStart(2, "0")}` : String(m)) + ":" + String(s).padStart(2, "0");
  if (tenths) out += "." + Math.floor((t - whole) * 10 + 1e-6);
  return out;
}

// Seconds from "12:30", "1:02:03.5", "75" or "0:12,5"; NaN when it is none of those.
export function parseTime(value) {
  const parts = value.trim().replace(",", ".").split(":");
  if (!parts[0] || parts.length > 3) return NaN;
  let seconds = 0;
  for (let i = 0; i < parts.length; i += 1) {
    const last = i === parts.length - 1;
    if (!(last ? /^\d+(\.\d+)?$/ : /^\d+$/).test(parts[i])) return NaN;
    seconds = seconds * 60 + parseFloat(parts[i]);
  }
  return seconds;
}

// The page's translated texts carry Python-style "%(name)s" placeholders (Flask-Babel).
export function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (match, key) => (key in values ? values[key] : match));
}

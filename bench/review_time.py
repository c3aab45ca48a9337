"""Review-time benchmark (issue 20): how many minutes a supervisor plays of a 2.5-hour session at
1.5x with "skip silence" and "skip the break", against plain 1.5x playback.

    .venv/bin/python bench/review_time.py [--hours 2.5] [--speed 1.5] [--workdir /tmp/review-bench]

Generates a session once (cached in --workdir): Swedish speech from espeak-ng (a pool of a few dozen
utterances in several voices, speeds and loudnesses) in talk blocks, with turn changes, quiet
stretches of 10-90 s (writing, role-play set-up) and a 20-minute break in the middle, over brown
room noise; about 40 % of the time without speech; AAC audio with a tiny colour video track, as a
camera film. The ground truth is where each utterance was put.

Then runs the real analysis (workers.activity.analyse: one ffmpeg process, WebRTC VAD) and times it
(x realtime, wall clock and CPU), takes the break the worker proposes and the real skip plan
(static/js/skip_plan.mjs, through node) with both toggles on, and reports:

- played minutes with skipping at --speed, plain minutes at --speed, and their target: the generated
  speech time divided by the speed (pass: played within 10 % of it); also the talk time (the same
  utterances with the pauses under 1 s between one speaker's sentences counted as talk), since the
  pauses between sentences are never skipped (only quiet of SILENCE_SKIP_SECONDS or more is);
- the ideal under the same rule: what a perfect skipper would play that jumps over exactly every
  true quiet stretch of SILENCE_SKIP_SECONDS or more and nothing else, no margins (what the
  generated session itself allows; the rest is the detector's and the player's own cost);
- recall of speech (share of the true speech time that is played, not skipped; pass: >= 0.98) and
  precision (share of the played time that is speech), plus the detector's own per-step scores.

Results: bench/results/review_time.json.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.workers.speech_clips import RATE, make_session, pcm, utterance  # noqa: E402
from workers.activity import STEP, analyse, find_break, quiet_ranges  # noqa: E402

SENTENCES = [
    "Välkomna tillbaka allihop, vad roligt att se er igen.",
    "Idag ska vi prata om den fjärde principen.",
    "Hur har veckan varit sedan vi sågs sist?",
    "Jag märkte att min dotter blev ledsen när jag gick till jobbet.",
    "Det låter som att hon behövde dig just då.",
    "Vi tittar på bilden av cirkeln tillsammans.",
    "Barnet söker trygghet hos sina föräldrar när det blir oroligt.",
    "Ibland är det svårt att se vad barnet egentligen behöver.",
    "Kan någon ge ett exempel från sin egen vardag?",
    "Han slängde sig på golvet och skrek i affären.",
    "Vad tror ni att han kände i det ögonblicket?",
    "Jag tror att han var trött och hungrig.",
    "Nu ska vi göra ett rollspel i par.",
    "En av er är förälder och den andra är barnet.",
    "Ta gärna fem minuter att skriva ner era tankar.",
    "Det finns inga rätta eller felaktiga svar här.",
    "Jag blev själv arg och höjde rösten.",
    "Att reparera efter ett bråk är en viktig del av relationen.",
    "Hur kändes det att vara barnet i rollspelet?",
    "Det var skönt när föräldern satte sig ner på min nivå.",
    "Vi tar en paus nu och ses om tjugo minuter.",
    "Kaffet står framme i rummet bredvid.",
    "Välkomna tillbaka från pausen.",
    "Vi sammanfattar dagens träff innan vi avslutar.",
    "Till nästa gång vill jag att ni prövar det vi pratat om.",
    "Skriv gärna ner en situation där det fungerade bra.",
    "Tack för att ni delade med er så öppet idag.",
    "Jag håller med, det känns igen från vår familj också.",
    "Ibland behöver man bara vara nära utan att säga så mycket.",
    "Hon ville inte sova i sin egen säng på hela veckan.",
    "Vad hände då, hur gjorde ni?",
    "Vi läste en bok tillsammans och då lugnade hon sig.",
    "Det är precis det vi menar med en trygg hamn.",
    "Att vara större, starkare, klokare och vänlig.",
    "Någon mer som vill säga något innan vi går vidare?",
    "Då går vi vidare till nästa del av manualen.",
]
VOICES = ["sv", "sv+f2", "sv+m3", "sv+f4", "sv+m1", "sv+f1"]


def pool(folder, rng):
    """The utterances, each in a voice, speed and loudness of its own: PCM bytes at RATE."""
    clips = []
    for index, text in enumerate(SENTENCES):
        voice = VOICES[index % len(VOICES)]
        path = folder / f"u{index:02d}.wav"
        speed, amplitude = rng.randint(140, 185), rng.choice([35, 60, 100, 140])
        if not path.exists():
            utterance(text, path, voice, speed, amplitude)
        clips.append(pcm(path))
    return clips


def layout(clips, rng, hours):
    """A session: talk blocks (utterances 0.15-0.5 s apart) separated by turn changes (0.3-1.2 s) or
    quiet stretches (10-90 s), the break (20 minutes in 2.5 hours) in the middle."""
    total = hours * 3600
    break_minutes = 20 * hours / 2.5
    parts, at, had_break = [], 0.0, False
    while at < total:
        if not had_break and at >= total / 2 - break_minutes * 30:
            parts.append(("quiet", break_minutes * 60))
            at += break_minutes * 60
            had_break = True
            continue
        block_end = at + rng.uniform(20, 120)
        while at < block_end:
            clip = rng.choice(clips)
            parts.append(("talk", clip))
            at += len(clip) / 2 / RATE
            gap = rng.uniform(0.15, 0.5)
            parts.append(("quiet", gap))
            at += gap
        gap = rng.uniform(10, 90) if rng.random() < 0.5 else rng.uniform(0.3, 1.2)
        parts.append(("quiet", gap))
        at += gap
    return parts


def session(workdir, hours, seed):
    """The cached session film and its speech intervals."""
    film, truth_file = workdir / f"session-{hours}h-{seed}.mp4", workdir / f"session-{hours}h-{seed}.json"
    if film.exists() and truth_file.exists():
        return film, json.loads(truth_file.read_text())
    rng = random.Random(seed)
    clips = pool(workdir, rng)
    started = time.monotonic()
    truth = make_session(film, layout(clips, rng, hours), video=True, noise=0.006,
                         audio_codec=("aac", "-b:a", "64k", "-ac", "1"))
    truth_file.write_text(json.dumps(truth))
    print(f"generated {film.name} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return film, truth


def node_plan(quiet, brk):
    """The real skip plan with both toggles on, from static/js/skip_plan.mjs."""
    module = (ROOT / "static/js/skip_plan.mjs").as_uri()
    script = (f"import {{ skipPlan }} from '{module}';"
              "let input = ''; process.stdin.on('data', (d) => input += d);"
              "process.stdin.on('end', () => { const a = JSON.parse(input);"
              " console.log(JSON.stringify(skipPlan({ ...a, skipSilence: true, skipBreak: true }))); });")
    answer = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(
        {"quiet": quiet, "brk": brk}), capture_output=True, text=True, check=True)
    return json.loads(answer.stdout)


def overlap(ranges, others):
    """Seconds where two sorted lists of ranges overlap."""
    total, j = 0.0, 0
    for start, end in ranges:
        while j < len(others) and others[j][1] <= start:
            j += 1
        k = j
        while k < len(others) and others[k][0] < end:
            total += max(0.0, min(end, others[k][1]) - max(start, others[k][0]))
            k += 1
    return total


def merged(ranges, within):
    """``ranges`` with gaps shorter than ``within`` seconds closed: one speaker's talk with its breaths."""
    out = []
    for start, end in ranges:
        if out and start - out[-1][1] < within:
            out[-1][1] = end
        else:
            out.append([start, end])
    return out


def step_scores(speech, truth):
    """The detector's per-step recall and precision: a step is truly speech when half of it is."""
    steps = [(i * STEP, (i + 1) * STEP) for i in range(len(speech))]
    true = [overlap([s], truth) >= STEP / 2 for s in steps]
    said = [c == "1" for c in speech]
    hits = sum(t and s for t, s in zip(true, said, strict=True))
    return hits / max(1, sum(true)), hits / max(1, sum(said))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=2.5)
    parser.add_argument("--speed", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--silence-skip-seconds", type=float, default=8)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "review-bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    film, truth = session(args.workdir, args.hours, args.seed)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    track = analyse([str(film)], timeout=3600)
    wall = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(cpu_after, cpu_before, strict=True))

    duration = track["duration"]
    quiet = quiet_ranges(track["speech"], args.silence_skip_seconds)
    scale = args.hours / 2.5  # a shorter trial session has a shorter break
    found = find_break(track["speech"], 600 * scale, 2400 * scale)
    brk = {"start": found[0], "end": found[1]} if found else None
    plan = node_plan(quiet, brk)
    skipped = sum(end - start for start, end in plan)
    played = [(a, b) for a, b in zip([0.0] + [e for _, e in plan], [s for s, _ in plan] + [duration], strict=True)
              if b > a]
    speech_time = sum(end - start for start, end in truth)
    talk_time = sum(end - start for start, end in merged(truth, 1.0))
    # what a perfect skipper following the same rule would play: every true quiet stretch of
    # SILENCE_SKIP_SECONDS or more (the break among them) jumped over exactly, no margins
    ideal_time = sum(end - start for start, end in merged(truth, args.silence_skip_seconds))
    speech_played = overlap(played, truth)
    true_break = max(((a[1], b[0]) for a, b in zip(truth, truth[1:], strict=False)), key=lambda r: r[1] - r[0])
    step_recall, step_precision = step_scores(track["speech"], truth)
    minutes = {
        "film": duration / 60,
        "plain_at_speed": duration / args.speed / 60,
        "played_with_skipping_at_speed": (duration - skipped) / args.speed / 60,
        "target_speech_over_speed": speech_time / args.speed / 60,
        "talk_over_speed": talk_time / args.speed / 60,  # pauses under 1 s between sentences counted as talk
        "ideal_rule_at_speed": ideal_time / args.speed / 60,
    }
    result = {
        "command": " ".join(["bench/review_time.py", *sys.argv[1:]]),
        "film_seconds": round(duration, 1), "speech_seconds": round(speech_time, 1),
        "talk_seconds": round(talk_time, 1),
        "silent_share": round(1 - speech_time / duration, 3), "speed": args.speed,
        "minutes": {k: round(v, 1) for k, v in minutes.items()},
        "played_over_target": round(minutes["played_with_skipping_at_speed"] / minutes["target_speech_over_speed"], 3),
        "played_over_talk": round(minutes["played_with_skipping_at_speed"] / minutes["talk_over_speed"], 3),
        "ideal_rule_over_target": round(ideal_time / speech_time, 3),
        "played_over_ideal_rule": round(minutes["played_with_skipping_at_speed"] / minutes["ideal_rule_at_speed"], 3),
        "played_over_plain": round(minutes["played_with_skipping_at_speed"] / minutes["plain_at_speed"], 3),
        "recall_of_speech": round(speech_played / speech_time, 4),
        "precision_of_played": round(speech_played / max(1e-9, duration - skipped), 4),
        "vad_step_recall": round(step_recall, 4), "vad_step_precision": round(step_precision, 4),
        "skipped_ranges": len(plan),
        "break_found": found, "break_generated": [round(true_break[0], 1), round(true_break[1], 1)],
        "analysis_wall_seconds": round(wall, 1), "analysis_cpu_seconds": round(cpu, 1),
        "x_realtime_wall": round(duration / wall), "x_realtime_cpu": round(duration / max(cpu, 1e-9)),
        "cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    result["pass"] = {"within_10_percent": result["played_over_target"] <= 1.10,
                      "recall_at_least_0_98": result["recall_of_speech"] >= 0.98,
                      "at_least_100x_realtime": result["x_realtime_wall"] >= 100}
    out = ROOT / "bench/results/review_time.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Slack's emoji shortcodes (the names of https://github.com/iamcal/emoji-data,
which Slack uses) for the emoji people use most in incident channels, as the
characters; a name not here stays ``:name:`` in a report."""

EMOJI = {
    "+1": "👍", "thumbsup": "👍", "-1": "👎", "thumbsdown": "👎", "white_check_mark": "✅",
    "heavy_check_mark": "✔️", "x": "❌", "warning": "⚠️", "rotating_light": "🚨", "fire": "🔥",
    "eyes": "👀", "thinking_face": "🤔", "tada": "🎉", "pray": "🙏", "raised_hands": "🙌",
    "pushpin": "📌", "memo": "📝", "point_up": "☝️", "point_right": "👉", "wave": "👋",
    "slightly_smiling_face": "🙂", "smile": "😄", "sweat_smile": "😅", "joy": "😂", "cry": "😢",
    "scream": "😱", "facepalm": "🤦", "shrug": "🤷", "ok_hand": "👌", "clap": "👏", "100": "💯",
    "heart": "❤️", "rocket": "🚀", "bug": "🐛", "boom": "💥", "zap": "⚡", "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳", "stopwatch": "⏱️", "bell": "🔔", "no_entry": "⛔",
    "construction": "🚧", "red_circle": "🔴", "large_green_circle": "🟢", "large_yellow_circle": "🟡",
    "chart_with_upwards_trend": "📈", "chart_with_downwards_trend": "📉", "mag": "🔍",
    "wrench": "🔧", "hammer_and_wrench": "🛠️", "sos": "🆘", "question": "❓", "exclamation": "❗",
    "grimacing": "😬", "sob": "😭", "muscle": "💪", "see_no_evil": "🙈", "coffee": "☕",
}

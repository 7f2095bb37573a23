"""The usual shapes of a runc command line, read from runu.cli's tables without argparse.

containerd runs runu several times per container, and importing argparse (with re and gettext)
is a tenth of a `runu create`. Only what argparse reads one way is parsed here: flags named in
full, each value its own word or after "=", the verb's positionals in one run. Anything else
(help, an abbreviation, a value that looks like a flag, "--", a list, a value argparse would
convert or refuse) gives None, and argparse parses the line, its errors included.
"""

from types import SimpleNamespace


class _Unusual(Exception):
    """A shape left to argparse."""


def _dest(flags: tuple[str, ...], options: dict) -> str:
    """argparse's attribute name: `dest`, else the first long flag's (or the positional's) name."""
    if "dest" in options:
        return options["dest"]
    name = next((flag for flag in flags if flag.startswith("--")), flags[0])
    return name.lstrip("-").replace("-", "_")


def _is_flag(word: str) -> bool:
    return word.startswith("-") and word != "-"


def _value(options: dict, text: str):
    if _is_flag(text) or options.get("nargs") is not None and options["nargs"] != "?":
        raise _Unusual
    kind = options.get("type")
    if kind is int:
        try:
            value = int(text)
        except ValueError:
            raise _Unusual from None
    elif kind is None:
        value = text
    else:
        raise _Unusual
    if "choices" in options and value not in options["choices"]:
        raise _Unusual
    return value


class _Arguments:
    """One parser level's flags and positionals, filling `values`."""

    def __init__(self, arguments, values: dict):
        self.flags, self.positionals = {}, []
        for flags, options in arguments:
            if flags[0].startswith("-"):
                self.flags.update(dict.fromkeys(flags, (flags, options)))
            else:
                self.positionals.append((flags, options))
            action = options.get("action")
            values[_dest(flags, options)] = False if action == "store_true" else options.get("default")
        self.values = values

    def flag(self, argv: list[str], i: int) -> int:
        """Take the flag at argv[i] (and its value); the index after them."""
        name, equals, attached = argv[i].partition("=") if argv[i].startswith("--") else (argv[i], "", "")
        if name not in self.flags:
            raise _Unusual
        flags, options = self.flags[name]
        action = options.get("action")
        if action == "store_true" and not equals:
            self.values[_dest(flags, options)] = True
            return i + 1
        if action is not None:
            raise _Unusual
        if equals:
            self.values[_dest(flags, options)] = _value(options, attached)
            return i + 1
        if i + 1 == len(argv):
            raise _Unusual
        self.values[_dest(flags, options)] = _value(options, argv[i + 1])
        return i + 2

    def fill_positionals(self, words: list[str]) -> None:
        for flags, options in self.positionals:
            if options.get("nargs") == "?" and not words:
                continue
            if not words:
                raise _Unusual
            self.values[_dest(flags, options)] = _value(options, words.pop(0))
        if words:
            raise _Unusual


def quick_parse(argv: list[str], global_arguments, commands: dict) -> SimpleNamespace | None:
    """argparse's namespace for `argv`, or None when argparse must read it."""
    values: dict = {}
    try:
        top, i = _Arguments(global_arguments, values), 0
        while i < len(argv) and _is_flag(argv[i]):
            i = top.flag(argv, i)
        if i == len(argv) or argv[i] not in commands:
            return None
        values["command"] = verb = argv[i]
        own = _Arguments(commands[verb][1], values)
        words: list[str] = []
        runs, in_run = 0, False  # runs of positionals: argparse fills an optional one from the first only
        i += 1
        while i < len(argv):
            if _is_flag(argv[i]):
                i, in_run = own.flag(argv, i), False
            else:
                runs, in_run = runs + (not in_run), True
                words.append(argv[i])
                i += 1
        if runs > 1 and any(options.get("nargs") == "?" for _, options in own.positionals):
            raise _Unusual
        own.fill_positionals(words)
    except _Unusual:
        return None
    return SimpleNamespace(**values)

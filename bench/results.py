"""What each benchmark hands back: figures to print, and problems that make the run fail."""

from dataclasses import dataclass, field


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, label: str, value: str) -> None:
        self.rows.append((label, value))

    def show(self) -> str:
        width = max((len(label) for label, _ in self.rows), default=0)
        lines = [self.title, *(f"  {label:<{width}}  {value}" for label, value in self.rows)]
        lines += [f"  PROBLEM: {problem}" for problem in self.problems]
        return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"

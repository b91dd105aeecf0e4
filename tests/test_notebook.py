"""The example notebook (examples/notebook) runs in a real kernel and gives the outputs it shows.

Every code cell is executed by nbclient in an IPython kernel; its outputs
(text and HTML) must equal the ones saved in the notebook, so the notebook
cannot drift from what Syllog does. Rewrite the saved outputs with
`pytest --update-goldens`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parent.parent / "examples" / "notebook" / "syllog_in_a_notebook.ipynb"


def shown(cell: Any) -> list[dict[str, str]]:
    """A code cell's outputs as text: stream text, and each result's text/plain and text/html."""
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            out.append({"stream": o["text"]})
        elif o["output_type"] in ("execute_result", "display_data"):
            out.append({k: v for k, v in o["data"].items() if k in ("text/plain", "text/html")})
        elif o["output_type"] == "error":
            out.append({"error": f"{o['ename']}: {o['evalue']}"})
    return out


def test_the_notebook_runs_and_shows_what_it_saved(update_goldens: bool) -> None:
    saved = nbformat.read(NOTEBOOK, as_version=4)
    fresh = copy.deepcopy(saved)
    NotebookClient(fresh, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    if update_goldens:
        nbformat.write(fresh, NOTEBOOK)
        return
    code = [(a, b) for a, b in zip(saved.cells, fresh.cells) if a.cell_type == "code"]
    assert code and all(shown(b) for _a, b in code), "every code cell shows something"
    for before, after in code:
        assert shown(after) == shown(before), f"the cell\n{before.source}\nnow shows something else"
    html = [o["text/html"] for _a, b in code for o in shown(b) if "text/html" in o]
    assert "<span class='grade g3' title='usually reliable source; claim possibly true'>B3</span>" in html[0]
    assert "<mark class='quote'>Russia is facing significant Western sanctions" in html[3]

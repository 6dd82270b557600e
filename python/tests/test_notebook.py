"""The example notebook runs top to bottom without a failing cell."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient


def test_tour_notebook_runs(repo, tmp_path):
    path = repo / "python" / "examples" / "lakecast_tour.ipynb"
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "the heatmap was not drawn"
    html = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("rows" in o["data"]["text/html"] for o in html)

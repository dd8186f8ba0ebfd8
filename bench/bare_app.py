"""The baseline for the benchmark: the least a Streamlit app showing this data can do.

Reads the same CSV once per process (st.cache_resource, like the dashboard), has
one selectbox, and draws one Plotly bar chart of initiatives per pillar for the
selected status. ``streamlit run bench/bare_app.py``; DASHBOARD_DATA picks the CSV.
"""

import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

DATA = os.environ.get("DASHBOARD_DATA", "").strip() or str(
    Path(__file__).resolve().parent.parent / "data" / "initiatives.csv"
)


@st.cache_resource(show_spinner=False)
def load(path: str) -> pd.DataFrame:
    return pd.read_csv(path, engine="pyarrow")


df = load(DATA)
status = st.selectbox("Status", ["all", *sorted(df["status"].dropna().unique().tolist())], key="status")
view = df if status == "all" else df[df["status"] == status]
counts = view.groupby("pillar").size()
st.plotly_chart(go.Figure(go.Bar(x=counts.index.tolist(), y=counts.to_numpy())), key="bar")

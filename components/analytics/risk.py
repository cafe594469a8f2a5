"""Analytics › No-show risk: how well the no-show risk score (Reminder calls, Today) ranks visits
it has never seen, so the manager can judge whether to trust it. db.noshow_risk.evaluate fits the
model on the clinic's history before the last weeks of the period and scores those weeks: the
AUC and the calibration by decile (predicted against observed no-show rates) are its numbers."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from clinic import kpi_pdf as kpi
from components.analytics import charts
from components.analytics.controls import Filters, period_label
from components.analytics.summary import show_tiles
from db import Connection, noshow_risk

HOLDOUT_WEEKS = 8

AUC_EXPLAINED = (
    "**How to read the AUC.** Take one visit that was missed and one that was kept, at random: the AUC is "
    "the chance that the score put the missed one higher. 0.5 is a coin toss (the score knows nothing); 1.0 "
    "would be perfect. Around 0.6 the score helps a little; 0.7 or more is good for deciding whom to call "
    "first. It is measured on the last weeks, which the score did not learn from, so it is what to expect "
    "for the coming weeks."
)


def risk_tab(conn: Connection, f: Filters, today: date) -> None:
    as_of = min(f.end, today)
    result = noshow_risk.evaluate(conn, as_of=as_of, holdout_weeks=HOLDOUT_WEEKS)
    cut = result["cut"]
    tested = period_label(cut, as_of)
    show_tiles([
        kpi.number("AUC", result["auc"], better=kpi.UP,
                   help="How well the score ranks the held-out visits: 0.5 = no better than chance, 1.0 = perfect."),
        kpi.count("Visits scored", result["test_size"],
                  help=f"Completed and missed visits {tested}, which the score did not learn from."),
        kpi.count("Of them missed", result["test_no_shows"]),
        kpi.count("Visits learned from", result["train_size"], help=f"Finished visits before {cut:%m/%d/%Y}."),
        kpi.rate("Base rate", result["clinic_rate"], better=kpi.NEITHER,
                 help="The no-show rate of the visits the score learned from; a patient with little history is "
                      "scored close to it."),
    ])
    st.markdown(AUC_EXPLAINED)
    st.caption("The score is learned from the whole clinic's visits: the provider and visit type chosen above do "
               "not apply here.")
    if result["auc"] is None:
        st.info("Not enough history yet to judge the score: it needs finished visits before "
                f"{cut:%m/%d/%Y}, and both kept and missed visits after.", icon=":material/info:")
    calibration: pd.DataFrame = result["calibration"]
    shown = calibration.melt(id_vars=["decile", "appointments"], value_vars=["predicted", "observed"],
                             var_name="what", value_name="rate") if not calibration.empty else calibration
    if not shown.empty:
        shown = shown.assign(what=shown["what"].map({"predicted": "Predicted by the score",
                                                     "observed": "Actually missed"}),
                             decile=shown["decile"].astype(str))
    charts.bar_chart(
        shown, x="decile", y="rate", series="what", unit="percent", key="analytics_calibration",
        title="Calibration: predicted against actual no-shows",
        x_title="Tenth of visits by score (1 = lowest risk, 10 = highest)", y_title="No-show rate",
        colours={"Predicted by the score": charts.OKABE_ITO[1], "Actually missed": charts.OKABE_ITO[0]},
        extra=[("appointments", "Visits in this tenth")], file_name="noshow_risk_calibration.csv",
        empty="No held-out visits to check the score on yet.",
        caption=f"The visits {tested}, sorted by their score and cut into ten "
                "equal groups: for each, the average score and the share actually missed. Bars of equal height "
                "mean the score can be read as a probability; rising bars mean it ranks well.",
        csv_columns={"decile": "Tenth (1 = lowest risk)", "appointments": "Visits", "what": "Measure",
                     "rate": "No-show rate"},
    )

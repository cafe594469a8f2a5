"""Reusable Streamlit pieces shared by app.py and the pages."""

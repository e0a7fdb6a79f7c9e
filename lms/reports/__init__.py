"""M&E: indicators read from projections kept beside the statements, breakdowns, charts and exports."""

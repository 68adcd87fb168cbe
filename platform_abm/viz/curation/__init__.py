"""The curation family's live page: controls, model session, components and plots."""

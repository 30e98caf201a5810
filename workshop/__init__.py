"""variability-workshop: run a Frei customer-introduced-variability workshop with phones as clickers."""

__version__ = "0.1.0"

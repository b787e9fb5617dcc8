"""The learned page model: block features, the page-type model, the block and
smoothing models and their loading (see :mod:`cleaner.model.model`)."""

"""The typed ``Analysis`` model and the pipeline that builds it, one stage call each."""

"""The patient's chart: the pages that gather every part of the journey (the record page,
the timeline, the printed summary). It sits at the top, above the apps it reads."""

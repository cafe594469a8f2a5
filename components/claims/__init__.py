"""The Claims screen's pieces: the work list (:mod:`.work_list`), one claim's lines, answers and
history (:mod:`.detail`), its status buttons (:mod:`.actions`) and the form that posts the
insurer's answer line by line (:mod:`.answer_form`)."""

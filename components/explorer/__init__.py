"""The data explorer's pieces: the table browser (browse), the read-only SQL box (sql_box) and the
import of appointment data (imports)."""

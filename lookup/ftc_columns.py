"""The column layout of the FTC's daily Do-Not-Call complaint files, a file-format fact shared by
the FTC source (which reads the files) and the FTC report format (which writes the user's reports
in that layout, so households can load each other's with ``whocalled sync ftc --file``)."""

FTC_COLUMNS = (
    "Company_Phone_Number",
    "Created_Date",
    "Violation_Date",
    "Consumer_City",
    "Consumer_State",
    "Consumer_Area_Code",
    "Subject",
    "Recorded_Message_Or_Robocall",
)

"""Real drivers and simulators answer to the same Protocols."""

from devices.base import CardReader, Display, Printer, Scanner, Voice
from devices.display import SimulatedDisplay, TemplateDisplay, TemplateSettings
from devices.idcard.reader import ReaderSettings, SamReader
from devices.printer.printer import PrinterSettings, ReceiptPrinter
from devices.scanner.sane import SaneScanner, ScannerSettings
from devices.voice import Announcer, VoiceSettings


def test_drivers_conform(tmp_path):
    assert isinstance(SamReader(ReaderSettings("loop://")), CardReader)
    assert isinstance(ReceiptPrinter(PrinterSettings("file:/dev/null"), tmp_path), Printer)
    assert isinstance(SaneScanner(ScannerSettings()), Scanner)
    assert isinstance(TemplateDisplay(TemplateSettings("loop://")), Display)
    assert isinstance(SimulatedDisplay(), Display)
    announcer = Announcer(VoiceSettings(engine="none"))
    assert isinstance(announcer, Voice)
    announcer.close()

class Shelf
  # expect: name=place ccn=10 cognitive=10 max_nesting=2 params=2 nloc=21
  # ccn 1 + if, ||, elsif, rescue, modifier if, ?, modifier while, when, when = 10;
  # cognitive: if 1, || 1, elsif 1, else 1, rescue 1, modifier if 1+1, ternary 1,
  # modifier while 1, case 1 = 10
  def place(item, force = false)
    if item.nil? || force
      return :none
    elsif item.size > 3
      :big
    else
      :small
    end
    retries = 0
    begin
      retries += 1
    rescue StandardError
      retry if retries < 3
    end
    count = force ? 1 : 0
    count += 1 while count < 5
    case item
    when String then :text
    when Integer then :number
    end
  end
end
